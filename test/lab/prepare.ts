/**
 * `npx tsx test/lab/prepare.ts` builds (or reuses) the lab image and prints where it is.
 * `npx tsx test/lab/prepare.ts down` removes whatever an interrupted lab left behind (qemu, taps, bridges,
 * the namespace, the lock).
 */
import { ensureImage } from "./lib/image.js";
import { cleanupStale } from "./lib/lock.js";
import { say } from "./lib/log.js";

const verb = process.argv[2] ?? "image";
if (verb === "down") {
  const removed = cleanupStale({ force: true });
  say(removed.length > 0 ? `removed: ${removed.join(", ")}` : "nothing to remove");
} else if (verb === "image") {
  const image = await ensureImage();
  say(`kernel ${image.kernelVersion}, root image ${image.rootImage}`);
} else {
  process.stderr.write("usage: tsx test/lab/prepare.ts [image|down]\n");
  process.exit(2);
}
