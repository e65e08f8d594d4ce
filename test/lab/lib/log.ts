/**
 * Progress lines for people watching a lab run (stderr, with seconds since the run started). The lab
 * is test tooling: plain lines are easier to follow live than JSON here.
 */
const started = Date.now();

export function elapsed(): string {
  return ((Date.now() - started) / 1000).toFixed(1).padStart(6);
}

export function say(message: string): void {
  process.stderr.write(`[lab ${elapsed()}s] ${message}\n`);
}

/** Seconds with one decimal, for timings tables. */
export function secs(ms: number): string {
  return (ms / 1000).toFixed(1);
}
