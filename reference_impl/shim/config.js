// config.js: what the harness baked into this copy of the shim (reference_impl/client.py:
// channel URL, page secret, versions, initial connection state). reference_impl/shim.py
// passes it as the wrapper function's `mmrShimConfig` argument.

export const config = mmrShimConfig;
