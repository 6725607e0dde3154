// The ringtone's sound, made in the page (no file to serve): a WAV as a blob URL.

export function makeRingtoneUrl() {
  // 1.2 s of 8 kHz mono 16-bit PCM: two 425 Hz bursts, then silence.
  const rate = 8000;
  const count = Math.round(rate * 1.2);
  const view = new DataView(new ArrayBuffer(44 + count * 2));
  const text = (offset, value) => [...value].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  text(0, "RIFF"); view.setUint32(4, 36 + count * 2, true); text(8, "WAVE");
  text(12, "fmt "); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
  view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true);
  view.setUint16(34, 16, true); text(36, "data"); view.setUint32(40, count * 2, true);
  for (let i = 0; i < count; i += 1) {
    const t = i / rate;
    const on = t < 0.4 || (t >= 0.6 && t < 1.0);
    view.setInt16(44 + i * 2, on ? Math.round(0.25 * 32767 * Math.sin(2 * Math.PI * 425 * t)) : 0, true);
  }
  return URL.createObjectURL(new Blob([view.buffer], { type: "audio/wav" }));
}
