/**
 * The balancer commands: trackers prove themselves (see balancer_auth.ts),
 * register and report their load, clients ask for the least-loaded live
 * tracker and hint that one seems dead. A discriminated union on `cmd` and
 * the one parser that validates a raw object.
 */
import { AppError } from "./errors.ts";
import { hostPort, optional, parseByCommand, uint } from "./validate.ts";

/** Most addresses one `get_tracker` may exclude. */
export const MAX_EXCLUDED = 64;
/** Largest client count a tracker may report. */
export const MAX_REPORTED_CLIENTS = 1_000_000_000;

/** Any request the balancer answers. */
export type BalancerRequest =
  | { cmd: "ping" }
  | { cmd: "tracker_hello"; addr: string; nonce: string }
  | {
    cmd: "register_tracker";
    addr: string;
    clients: number;
    /** The balancer's address as the tracker's socket reached it. */
    balancer?: string;
    /** The HMAC proof of the cluster secret; absent from a tracker without one. */
    proof?: string;
  }
  | { cmd: "report_load"; addr: string; clients: number }
  | { cmd: "get_tracker"; exclude: string[] }
  | { cmd: "report_dead"; addr: string }
  | { cmd: "list_trackers" };

/** The command names. */
export type BalancerCommand = BalancerRequest["cmd"];

/** A tracker as `list_trackers` shows it. */
export interface TrackerLoad {
  addr: string;
  clients: number;
  live: boolean;
}

/** The data of a successful reply, per command. */
export interface BalancerReplies {
  ping: { pong: true };
  tracker_hello: { nonce: string };
  register_tracker: { live: boolean };
  report_load: { live: boolean };
  /** `verified`: the balancer proved every tracker it hands out knows the cluster secret. */
  get_tracker: { addr: string; clients: number; verified: boolean };
  report_dead: { checking: true };
  list_trackers: { trackers: TrackerLoad[] };
}

type Raw = Record<string, unknown>;
type Parser = (raw: Raw) => BalancerRequest;

const HEX32 = /^[0-9a-f]{64}$/;

function hex32(raw: Raw, field: string): string {
  const value = raw[field];
  if (typeof value !== "string" || !HEX32.test(value)) {
    throw new AppError("BAD_REQUEST", `Field "${field}" must be 32 bytes in lowercase hex`);
  }
  return value;
}

function excludeList(raw: Raw): string[] {
  const value = raw["exclude"];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_EXCLUDED) {
    throw new AppError(
      "BAD_REQUEST",
      `Field "exclude" must be a list of at most ${MAX_EXCLUDED} addresses`,
    );
  }
  return value.map((addr) => hostPort({ exclude: addr }, "exclude"));
}

const PARSERS: Record<BalancerCommand, Parser> = {
  ping: () => ({ cmd: "ping" }),
  tracker_hello: (raw) => ({
    cmd: "tracker_hello",
    addr: hostPort(raw, "addr"),
    nonce: hex32(raw, "nonce"),
  }),
  register_tracker: (raw) => {
    const balancer = optional(raw, "balancer", hostPort);
    const proof = optional(raw, "proof", hex32);
    return {
      cmd: "register_tracker",
      addr: hostPort(raw, "addr"),
      clients: uint(raw, "clients", MAX_REPORTED_CLIENTS),
      ...(balancer === undefined ? {} : { balancer }),
      ...(proof === undefined ? {} : { proof }),
    };
  },
  report_load: (raw) => ({
    cmd: "report_load",
    addr: hostPort(raw, "addr"),
    clients: uint(raw, "clients", MAX_REPORTED_CLIENTS),
  }),
  get_tracker: (raw) => ({ cmd: "get_tracker", exclude: excludeList(raw) }),
  report_dead: (raw) => ({ cmd: "report_dead", addr: hostPort(raw, "addr") }),
  list_trackers: () => ({ cmd: "list_trackers" }),
};

/**
 * Validates a raw message as a balancer command.
 * @param raw the parsed JSON object (its `id` and `v` already checked)
 * @returns the typed request
 * @throws {AppError} UNKNOWN_COMMAND or BAD_REQUEST
 */
export function parseBalancerRequest(raw: Raw): BalancerRequest {
  return parseByCommand(raw, PARSERS);
}
