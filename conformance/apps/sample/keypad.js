// keypad.js: the sample app's dial pad. Each key sends its digit as DTMF on the call's audio
// sender (RTCRtpSender.dtmf), after any digits still queued, as an agent navigates an IVR.

const DURATION_MS = 100;
const GAP_MS = 70;

document.getElementById("keypad").addEventListener("click", (event) => {
  const key = event.target.closest("button[data-digit]");
  const sender = window.sampleApp.sender();
  const dtmf = sender && sender.dtmf;
  if (!key || !dtmf || !dtmf.canInsertDTMF) return;
  dtmf.insertDTMF(dtmf.toneBuffer + key.dataset.digit, DURATION_MS, GAP_MS);
  window.sampleApp.telemetry.events.push({ time: new Date().toISOString(), event: "dtmf", digit: key.dataset.digit });
});
