/**
 * Splits a command line into words the way a shell user expects: spaces
 * separate words, single quotes keep everything literally, double quotes keep
 * spaces and allow `\"` and `\\`, and a backslash outside quotes escapes the
 * next character. Pure: no I/O.
 */
import { AppError } from "../../protocol/errors.ts";

type Mode = "plain" | "single" | "double";

/**
 * Splits one line into words.
 * @param line the text the user typed
 * @returns the words, without quotes; empty for a blank line
 * @throws {AppError} BAD_REQUEST for an unterminated quote or a trailing backslash
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let mode: Mode = "plain";
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (mode === "single") {
      if (ch === "'") mode = "plain";
      else word += ch;
    } else if (mode === "double") {
      if (ch === '"') mode = "plain";
      else if (ch === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) word += line[++i];
      else word += ch;
    } else if (ch === " " || ch === "\t") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      inWord = true;
      if (ch === "'") mode = "single";
      else if (ch === '"') mode = "double";
      else if (ch === "\\") {
        if (i + 1 >= line.length) {
          throw new AppError("BAD_REQUEST", "Line ends with a lone backslash");
        }
        word += line[++i];
      } else word += ch;
    }
  }
  if (mode !== "plain") {
    const quote = mode === "single" ? "'" : '"';
    throw new AppError("BAD_REQUEST", `Unterminated ${quote} quote`);
  }
  if (inWord) words.push(word);
  return words;
}
