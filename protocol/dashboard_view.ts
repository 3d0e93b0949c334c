/**
 * What a dashboard page shows, as data: every program turns its state into a
 * {@link DashboardView} of titled tables, and one page script (see
 * dashboard_assets.ts) draws any view. So the three programs share the page,
 * the event stream and the tests, and each only says what its tables hold.
 */

/** A cell whose text is a state the page colours: live, out, connected, down... */
export interface StateCell {
  state: string;
}

/**
 * A piece map: one character per piece, `.` missing, `~` in flight, and for
 * a done piece the letter of the peer it came from (`peers[i]` is the peer
 * of letter `a` + i).
 */
export interface PieceMapCell {
  pieces: string;
  peers: string[];
}

/** One table cell. */
export type Cell = string | number | StateCell | PieceMapCell;

/** One titled table. */
export interface ViewSection {
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Shown when `rows` is empty. */
  empty?: string;
}

/** A whole page's content at one moment. */
export interface DashboardView {
  /** The page heading, e.g. `balancer 127.0.0.1:7100`. */
  title: string;
  /** A short line under the heading. */
  summary: string;
  sections: ViewSection[];
}
