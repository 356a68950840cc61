/** Small text helpers shared by the CLI, the app and reports. */

/** `1 layer`, `2 layers`: a count with its noun in the right number (`plural` for irregular ones). */
export const countOf = (n: number, noun: string, plural = `${noun}s`): string =>
  `${n.toLocaleString('en-US')} ${n === 1 ? noun : plural}`;
