/**
 * Error lines made safe for a terminal. A message may quote what the user gave (a run id, a node
 * id, a flag's value); control characters in it (ANSI escapes, a carriage return, NUL) would
 * otherwise reach the terminal as commands, recolouring or rewriting what is on screen, or split
 * the one line an error is into several.
 */

// C0 controls but the newline, DEL, and C1 controls (which include the 8-bit CSI).
// eslint-disable-next-line no-control-regex -- finds control characters
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

/**
 * `text` with every control character but the newline written as a visible escape (`\x1b`,
 * `\u009b`); tabs too, so a line's columns stay where they are.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
