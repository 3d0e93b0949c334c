/**
 * Fitting text to a terminal's width: a long name loses its middle (the start
 * and the extension say most), and a table shrinks its widest elidable
 * columns first. Pure.
 */

const ELLIPSIS = "…";

/**
 * Shortens text to at most `max` characters by cutting out its middle.
 * @returns the text, or its start, `…` and its end
 */
export function elideMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return "";
  if (max === 1) return ELLIPSIS;
  const keep = max - 1;
  const head = Math.ceil(keep / 2);
  const tail = keep - head;
  return text.slice(0, head) + ELLIPSIS + (tail > 0 ? text.slice(-tail) : "");
}

/** Narrowest an elidable column gets before the table gives up shrinking. */
export const MIN_COLUMN_WIDTH = 6;

/**
 * Column widths that fit `max` characters with `gap` between columns: the
 * widest elidable column gives up one character at a time.
 * @param widths each column's natural width
 * @param elidable indexes of the columns that may shrink
 * @returns the new widths (wider than `max` only when every elidable column is at its minimum)
 */
export function fitWidths(
  widths: readonly number[],
  elidable: readonly number[],
  max: number,
  gap = 2,
): number[] {
  const fitted = [...widths];
  const total = () => fitted.reduce((a, b) => a + b, 0) + gap * Math.max(0, fitted.length - 1);
  let over = total() - max;
  while (over > 0) {
    let widest = -1;
    for (const i of elidable) {
      if (fitted[i]! > MIN_COLUMN_WIDTH && (widest < 0 || fitted[i]! > fitted[widest]!)) widest = i;
    }
    if (widest < 0) break;
    const step = Math.min(over, fitted[widest]! - MIN_COLUMN_WIDTH, 1 + Math.floor(over / 4));
    fitted[widest] = fitted[widest]! - step;
    over -= step;
  }
  return fitted;
}
