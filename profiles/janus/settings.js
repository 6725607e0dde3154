// settings.js for Debian's janus-demos, served over the unmodified demos by the Janus
// profiles (app.serve). Debian's own settings.js has no `token`/`apisecret` and no ICE
// servers: edit these for your Janus.
var server = "http://10.0.0.2:8088/janus";   // the Janus REST API (another host)
var iceServers = [];                          // e.g. [{urls: "turn:10.0.0.2:3478", username: "u", credential: "p"}]
var token = null;
var apisecret = null;                         // Janus's api_secret, if it has one
