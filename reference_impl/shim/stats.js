// stats.js: RTCStatsReport, the maplike getStats() resolves with (entries from the host).

import { INTERNAL, Native, defineToStringTag } from "./core.js";

export class RTCStatsReport extends Native.Map {
  constructor(token, entries) {
    if (token !== INTERNAL) throw new TypeError("Illegal constructor");
    super(entries);
  }
}
defineToStringTag(RTCStatsReport, "RTCStatsReport");
