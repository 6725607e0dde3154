// The portal page: the whole softphone runs in an iframe with this page's query, of the same
// origin, or with `?cross=1` of another one (127.0.0.1 <-> localhost), the microphone and the
// speaker choice delegated to it.
const frame = document.getElementById("app");
const url = new URL(`index.html${location.search}`, location.href);
if (new URLSearchParams(location.search).get("cross") === "1") {
  url.hostname = url.hostname === "localhost" ? "127.0.0.1" : "localhost";
  frame.allow = "microphone; speaker-selection; autoplay";
}
frame.src = url.href;
