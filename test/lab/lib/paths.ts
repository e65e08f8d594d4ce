/**
 * Where the lab keeps its state. Everything big or machine-specific lives outside the repository, in
 * /var/tmp/pmsapp-lab (override with PMSAPP_LAB_DIR): the image cache, the .deb cache, the running lab
 * (overlays, data disks, sockets, pidfiles, console logs) and the logs collected when a scenario fails.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const LAB_SOURCE = join(REPO_ROOT, "test", "lab");
export const GUEST_IMAGE_FILES = join(LAB_SOURCE, "image");
export const GUEST_SCRIPTS = join(LAB_SOURCE, "guest");

export const LAB_DIR = process.env["PMSAPP_LAB_DIR"] ?? "/var/tmp/pmsapp-lab";
export const CACHE_DIR = join(LAB_DIR, "cache");
export const APT_CACHE_DIR = join(LAB_DIR, "apt-cache");
export const RUN_DIR = join(LAB_DIR, "run");
export const STAGE_DIR = join(LAB_DIR, "stage");
export const ARTIFACTS_DIR = join(LAB_DIR, "artifacts");
export const LOCK_FILE = join(LAB_DIR, "lab.lock");

/** The one network namespace that holds every bridge, tap and qemu of the lab. */
export const NETNS = "pmsapp-lab";
