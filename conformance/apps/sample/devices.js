// The devices the sample app offers: the microphone and speaker lists, and the choice.

import { flawed, md, showError, ui } from "./state.js";

export async function refreshDevices() {
  let devices = [];
  try {
    devices = await md.enumerateDevices();
  } catch (error) {
    showError(`The devices cannot be listed (${error.name}).`);
  }
  fillSelect(ui.mic, devices.filter((d) => d.kind === "audioinput"), "Default microphone");
  fillSelect(ui.speaker, devices.filter((d) => d.kind === "audiooutput"), "Default speaker");
  // Speaker choice needs setSinkId; without it the default output is used.
  ui.speaker.disabled = typeof HTMLMediaElement.prototype.setSinkId !== "function";
}

function fillSelect(select, devices, defaultLabel) {
  const keep = select.value;
  select.replaceChildren(new Option(defaultLabel, ""));
  devices
    .filter((d) => d.deviceId !== "default" && d.deviceId !== "communications")
    .forEach((d, i) => select.add(new Option(d.label || `${defaultLabel.split(" ")[1]} ${i + 1}`, d.deviceId)));
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

export function chosenMicrophone() {
  return flawed("ignore-devices") ? "" : ui.mic.value;
}
export function chosenSpeaker() {
  return flawed("ignore-devices") ? "" : ui.speaker.value;
}
