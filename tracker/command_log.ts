/**
 * The log line of a client command that changed something: logins and
 * logouts, accounts, groups, memberships and shares. Queries log nothing.
 * Pure.
 */
import type { TrackerRequest } from "../protocol/tracker_messages.ts";

/**
 * Describes a command that succeeded.
 * @param user who sent it (undefined before a login)
 * @returns the line, or undefined for a query
 */
export function describeCommand(req: TrackerRequest, user: string | undefined): string | undefined {
  const by = user ?? "?";
  switch (req.cmd) {
    case "create_user":
      return `user ${req.user} created`;
    case "login":
      return `${req.user} logged in`;
    case "logout":
      return `${by} logged out`;
    case "create_group":
      return `${by} created group ${req.group}`;
    case "join_group":
      return `${by} asked to join group ${req.group}`;
    case "leave_group":
      return `${by} left group ${req.group}`;
    case "accept_request":
      return `${by} accepted ${req.user} into group ${req.group}`;
    case "reject_request":
      return `${by} rejected ${req.user}'s request to join group ${req.group}`;
    case "upload_file":
      return `${by} shares ${req.name} in group ${req.group} from ${req.addr}`;
    case "stop_share":
      return `${by} stopped sharing ${req.name} in group ${req.group}`;
    default:
      return undefined;
  }
}
