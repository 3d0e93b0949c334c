/**
 * Wire formats every program shares: control-message framing and envelopes,
 * the tracker commands, error codes, manifests and validation.
 * @module
 */
export * from "./errors.ts";
export * from "./framing.ts";
export * from "./envelope.ts";
export * from "./validate.ts";
export * from "./manifest.ts";
export * from "./tracker_messages.ts";
export * from "./conn_io.ts";
export * from "./rpc_server.ts";
export * from "./rpc_client.ts";
export * from "./balancer_messages.ts";
export * from "./balancer_auth.ts";
export * from "./cluster_messages.ts";
export * from "./tracker_proof.ts";
export * from "./peer_frames.ts";
export * from "./programs.ts";
