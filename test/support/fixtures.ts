import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** Root of the captured real-tool outputs (see test/fixtures/README.md). */
export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

/** A capture folder, e.g. fixture("spike-2026-11-24", "raid1-member-faulty"). */
export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}
