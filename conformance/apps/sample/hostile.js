// The "hostile" flaw (?flaw=hostile): what a badly behaved page does when a call starts, so
// the suite's tests can prove that a certification answers it, names it and still ends in
// bounded time: an alert, a popup, then a main thread that stops answering for a minute.

/** How long the main thread stays busy (long past any bound of a certification). */
const BUSY_MS = 60_000;

let hung = false;
function hang() {
  if (hung) return;
  hung = true;
  const end = Date.now() + BUSY_MS;
  while (Date.now() < end) { /* a script that never yields */ }
}

/**
 * Misbehave, and resolve only once the main thread has been busy: the caller places its call
 * after that, so the hang always comes before the call could connect (never a race with it).
 * @returns {Promise<void>}
 */
export function misbehaveOnCall() {
  alert("Your call is starting: press OK to continue");
  const popup = window.open(new URL("offer.html", location.href).href, "_blank");
  return new Promise((resolve) => {
    const hangThenGoOn = () => { hang(); resolve(); };
    // Once the popup has loaded (it shares this page's main thread, so where it went is known
    // by then), or after a second if it never does (blocked, or closed first).
    popup?.addEventListener("load", () => setTimeout(hangThenGoOn, 0), { once: true });
    setTimeout(hangThenGoOn, 1000);
  });
}
