// The portal page: the whole softphone runs in a same-origin iframe, with this page's query.
document.getElementById("app").src = `index.html${location.search}`;
