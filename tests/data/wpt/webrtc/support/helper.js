// A support file the tests load by a relative URL (support folders hold no tests).
function helperExpectedTracks() { return 1; }
