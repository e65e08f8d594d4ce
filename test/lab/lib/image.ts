/**
 * The lab image, built from Debian packages only and cached by a content hash of its inputs, in two layers:
 *   rootfs-<hash>/  mmdebstrap --variant=minbase of image/packages.txt (+ the kernel .deb that
 *                   linux-image-amd64 depends on). Key: package list, mirrors, suite, this file's RECIPE.
 *   image-<hash>/   base.img (ext4 of rootfs + kernel modules + host node + guest files), vmlinuz,
 *                   initrd.img. Key: rootfs key, kernel version, every file in test/lab/image/, node binary.
 * A warm run only hashes the inputs (well under a second); a cold one shows mmdebstrap's progress.
 */
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { must, run } from "./host.js";
import { say, secs } from "./log.js";
import { APT_CACHE_DIR, CACHE_DIR, GUEST_IMAGE_FILES } from "./paths.js";

/** Bump when the build steps below change in a way that changes the result. */
const RECIPE = "rootfs-3/image-3";
const SUITE = "bookworm";
/** Explicit mirrors: never inherit the host's other apt sources. */
const MIRRORS = [
  "deb http://deb.debian.org/debian bookworm main",
  "deb http://deb.debian.org/debian bookworm-updates main",
  "deb http://deb.debian.org/debian-security bookworm-security main",
];
/** Kernel module folders the lab never needs (391 MB -> ~130 MB). */
const PRUNED_MODULE_DIRS = [
  "kernel/sound",
  "kernel/drivers/gpu",
  "kernel/drivers/media",
  "kernel/drivers/net/wireless",
  "kernel/drivers/net/ethernet",
  "kernel/drivers/usb",
  "kernel/drivers/infiniband",
  "kernel/drivers/bluetooth",
  "kernel/drivers/staging",
  "kernel/drivers/hid",
  "kernel/drivers/iio",
  "kernel/drivers/input",
  "kernel/drivers/isdn",
  "kernel/drivers/net/can",
  "kernel/net/bluetooth",
  "kernel/net/wireless",
  "kernel/net/mac80211",
];
/** Modules the initramfs loads to mount /dev/vda (their dependencies are added from modules.dep). */
const INITRAMFS_MODULES = ["virtio_pci", "virtio_blk", "virtio_console", "crc32c_generic", "ext4"];
const ROOT_IMAGE_SIZE = "2G";

export interface LabImage {
  readonly dir: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly rootImage: string;
  readonly kernelVersion: string;
  readonly key: string;
}

interface RootfsManifest {
  readonly key: string;
  readonly kernelPackage: string;
  readonly kernelVersion: string;
  readonly kernelDeb: string;
  readonly builtSeconds: number;
}

function hash(parts: readonly (string | Buffer)[]): string {
  const h = createHash("sha256");
  for (const p of parts) {
    h.update(p);
    h.update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

export function packageList(): string[] {
  return readFileSync(join(GUEST_IMAGE_FILES, "packages.txt"), "utf8")
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter(Boolean);
}

function rootfsKey(): string {
  return hash([RECIPE.split("/")[0] ?? "", SUITE, ...MIRRORS, ...packageList()]);
}

function guestFilesDigest(): string[] {
  return readdirSync(GUEST_IMAGE_FILES)
    .sort()
    .flatMap((name) => [name, readFileSync(join(GUEST_IMAGE_FILES, name))])
    .map((x) => (typeof x === "string" ? x : createHash("sha256").update(x).digest("hex")));
}

function nodeDigest(): string {
  const st = statSync("/usr/bin/node");
  return `${process.version}:${st.size}`;
}

function imageKey(rootfs: RootfsManifest): string {
  return hash([RECIPE, rootfs.key, rootfs.kernelVersion, ...guestFilesDigest(), nodeDigest()]);
}

/** Build what is missing, reuse what is cached. */
export async function ensureImage(): Promise<LabImage> {
  const t0 = Date.now();
  mkdirSync(CACHE_DIR, { recursive: true });
  const rootfs = await ensureRootfs();
  const key = imageKey(rootfs);
  const dir = join(CACHE_DIR, `image-${key}`);
  const image: LabImage = {
    dir,
    kernel: join(dir, "vmlinuz"),
    initrd: join(dir, "initrd.img"),
    rootImage: join(dir, "base.img"),
    kernelVersion: rootfs.kernelVersion,
    key,
  };
  if (existsSync(join(dir, "manifest.json"))) {
    say(`image ${key} reused (kernel ${rootfs.kernelVersion}) in ${secs(Date.now() - t0)} s`);
  } else {
    await buildImage(rootfs, image);
    say(`image ${key} built in ${secs(Date.now() - t0)} s`);
  }
  pruneOtherBuilds([`rootfs-${rootfs.key}`, `image-${key}`]);
  return image;
}

/** Old layers are never reused once their inputs changed: keep only the current ones (~1.5 GB). */
function pruneOtherBuilds(keep: readonly string[]): void {
  for (const name of readdirSync(CACHE_DIR)) {
    if (!/^(rootfs|image)-[0-9a-f]{16}$/.test(name) || keep.includes(name)) continue;
    rmSync(join(CACHE_DIR, name), { recursive: true, force: true });
    say(`removed outdated ${name} from the cache`);
  }
}

async function ensureRootfs(): Promise<RootfsManifest> {
  const key = rootfsKey();
  const dir = join(CACHE_DIR, `rootfs-${key}`);
  const manifestFile = join(dir, "manifest.json");
  if (existsSync(manifestFile)) return JSON.parse(readFileSync(manifestFile, "utf8")) as RootfsManifest;

  const t0 = Date.now();
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, "kernel"), { recursive: true });
  mkdirSync(APT_CACHE_DIR, { recursive: true });
  const packages = packageList();
  say(`building rootfs ${key}: mmdebstrap ${SUITE} minbase + ${packages.length} packages (cold: 1-3 min)`);
  const kernelHook = [
    'set -e',
    'export APT_CONFIG="$MMDEBSTRAP_APT_CONFIG"',
    'pkg=$(apt-cache depends linux-image-amd64 | sed -n "s/^ *Depends: \\(linux-image-[0-9][^ ]*\\)$/\\1/p" | head -n1)',
    'test -n "$pkg"',
    `cd "${join(tmp, "kernel")}"`,
    'apt-get download "$pkg"',
    'echo "$pkg" > package',
  ].join("\n");
  await must(
    [
      "mmdebstrap",
      "--variant=minbase",
      `--include=${packages.join(",")}`,
      "--aptopt=Acquire::Retries \"3\"",
      "--aptopt=APT::Install-Recommends \"false\"",
      `--setup-hook=mkdir -p "$1/var/cache/apt/archives" && cp -a ${APT_CACHE_DIR}/. "$1/var/cache/apt/archives/"`,
      `--customize-hook=cp -a "$1/var/cache/apt/archives/." ${APT_CACHE_DIR}/ && rm -f ${APT_CACHE_DIR}/lock`,
      `--customize-hook=${kernelHook}`,
      SUITE,
      join(tmp, "root"),
      ...MIRRORS,
    ],
    {
      timeoutMs: 15 * 60_000,
      env: { TMPDIR: "/var/tmp" },
      onLine: (l) => {
        if (/^(I:|W:|E:)/.test(l)) say(`  mmdebstrap ${l}`);
      },
    },
  );
  const kernelPackage = readFileSync(join(tmp, "kernel", "package"), "utf8").trim();
  const debs = readdirSync(join(tmp, "kernel")).filter((f) => f.endsWith(".deb"));
  const deb = debs[0];
  if (deb === undefined) throw new Error(`kernel package ${kernelPackage} was not downloaded`);
  const manifest: RootfsManifest = {
    key,
    kernelPackage,
    kernelVersion: kernelPackage.replace(/^linux-image-/, ""),
    kernelDeb: join(dir, "kernel", deb),
    builtSeconds: Math.round((Date.now() - t0) / 1000),
  };
  writeFileSync(join(tmp, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  say(`rootfs ${key} built in ${secs(Date.now() - t0)} s (kernel ${manifest.kernelVersion})`);
  return manifest;
}

async function buildImage(rootfs: RootfsManifest, image: LabImage): Promise<void> {
  const tmp = `${image.dir}.partial`;
  const root = join(tmp, "root");
  const kver = rootfs.kernelVersion;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });

  say(`image ${image.key}: copying rootfs, adding kernel ${kver} modules, node, guest files`);
  await must(["cp", "-a", "--reflink=auto", join(CACHE_DIR, `rootfs-${rootfs.key}`, "root"), root], { timeoutMs: 300_000 });

  const kx = join(tmp, "kernel-x");
  mkdirSync(kx);
  await must(["dpkg-deb", "-x", rootfs.kernelDeb, kx], { timeoutMs: 300_000 });
  const modSrc = join(kx, "lib", "modules", kver);
  for (const sub of PRUNED_MODULE_DIRS) rmSync(join(modSrc, sub), { recursive: true, force: true });
  mkdirSync(join(root, "usr", "lib", "modules"), { recursive: true });
  await must(["cp", "-a", modSrc, join(root, "usr", "lib", "modules", kver)], { timeoutMs: 300_000 });
  copyFileSync(join(kx, "boot", `vmlinuz-${kver}`), join(tmp, "vmlinuz"));
  rmSync(kx, { recursive: true, force: true });
  // The host may have no depmod; the guest's own does the job in a chroot.
  await must(["chroot", root, "depmod", kver], { timeoutMs: 300_000 });

  copyFileSync("/usr/bin/node", join(root, "usr", "bin", "node"));
  chmodSync(join(root, "usr", "bin", "node"), 0o755);
  installGuestFiles(root);

  await buildInitramfs(root, kver, tmp);
  say(`image ${image.key}: mke2fs -d (root image ${ROOT_IMAGE_SIZE})`);
  await must(["mke2fs", "-q", "-F", "-t", "ext4", "-L", "labroot", "-d", root, join(tmp, "base.img"), ROOT_IMAGE_SIZE], { timeoutMs: 600_000 });
  rmSync(root, { recursive: true, force: true });
  writeFileSync(join(tmp, "manifest.json"), JSON.stringify({ key: image.key, rootfs: rootfs.key, kernelVersion: kver, node: process.version }, null, 2) + "\n");
  rmSync(image.dir, { recursive: true, force: true });
  renameSync(tmp, image.dir);
}

function installGuestFiles(root: string): void {
  const g = (name: string) => join(GUEST_IMAGE_FILES, name);
  const put = (name: string, dest: string, mode = 0o644) => {
    const target = join(root, dest);
    mkdirSync(join(target, ".."), { recursive: true });
    copyFileSync(g(name), target);
    chmodSync(target, mode);
  };
  put("lab-init", "sbin/lab-init", 0o755);
  put("lab-setup", "usr/local/sbin/lab-setup", 0o755);
  put("lab-setup.service", "etc/systemd/system/lab-setup.service");
  put("modprobe-lab.conf", "etc/modprobe.d/lab.conf");
  put("nfs-lab.conf", "etc/nfs.conf.d/lab.conf");
  const wants = join(root, "etc/systemd/system/sysinit.target.wants");
  mkdirSync(wants, { recursive: true });
  rmSync(join(wants, "lab-setup.service"), { force: true });
  symlinkSync("/etc/systemd/system/lab-setup.service", join(wants, "lab-setup.service"));
  // Corosync and Pacemaker are started by the scenarios, never at boot.
  for (const unit of ["corosync.service", "pacemaker.service"]) rmSync(join(root, "etc/systemd/system/multi-user.target.wants", unit), { force: true });
  for (const rc of readdirSync(join(root, "etc"))
    .filter((d) => /^rc[0-6S]\.d$/.test(d))) {
    for (const f of readdirSync(join(root, "etc", rc))) if (/^S\d\d(corosync|pacemaker)$/.test(f)) rmSync(join(root, "etc", rc, f), { force: true });
  }
  // Short iSCSI timeouts (lab-facts §7-8): md fails a dead member in ~10 s, a dead-target login takes ~2.5 s.
  const iscsid = join(root, "etc/iscsi/iscsid.conf");
  const tuned = readFileSync(iscsid, "utf8")
    .replace(/^node\.session\.timeo\.replacement_timeout = .*$/m, "node.session.timeo.replacement_timeout = 5")
    .replace(/^node\.conn\[0\]\.timeo\.noop_out_interval = .*$/m, "node.conn[0].timeo.noop_out_interval = 2")
    .replace(/^node\.conn\[0\]\.timeo\.noop_out_timeout = .*$/m, "node.conn[0].timeo.noop_out_timeout = 2")
    .replace(/^node\.conn\[0\]\.timeo\.login_timeout = .*$/m, "node.conn[0].timeo.login_timeout = 2")
    .replace(/^node\.session\.initial_login_retry_max = .*$/m, "node.session.initial_login_retry_max = 1");
  for (const want of ["replacement_timeout = 5", "noop_out_interval = 2", "noop_out_timeout = 2", "login_timeout = 2", "initial_login_retry_max = 1"]) {
    if (!tuned.includes(want)) throw new Error(`iscsid.conf of this open-iscsi has no line to set ${want}`);
  }
  writeFileSync(iscsid, tuned);
  writeFileSync(join(root, "etc/lab-image"), `pmsapp lab image, built ${new Date().toISOString()}\n`);
}

/** busybox + the modules to mount the ext4 root over virtio-blk, in dependency order. */
async function buildInitramfs(root: string, kver: string, out: string): Promise<void> {
  const modDir = join(root, "usr", "lib", "modules", kver);
  const deps = new Map<string, string[]>();
  for (const line of readFileSync(join(modDir, "modules.dep"), "utf8").split("\n")) {
    const [mod, rest] = line.split(":");
    if (mod === undefined || rest === undefined) continue;
    deps.set(mod, rest.trim().split(/\s+/).filter(Boolean));
  }
  const byName = new Map<string, string>();
  for (const path of deps.keys()) byName.set(path.replace(/^.*\//, "").replace(/\.ko(\.[a-z]+)?$/, "").replace(/-/g, "_"), path);
  const order: string[] = [];
  const visit = (path: string) => {
    if (order.includes(path)) return;
    for (const d of deps.get(path) ?? []) visit(d);
    order.push(path);
  };
  for (const name of INITRAMFS_MODULES) {
    const path = byName.get(name);
    if (path !== undefined) visit(path); // absent = built into this kernel
  }
  const ird = join(out, "initramfs");
  for (const d of ["bin", "dev", "proc", "sys", "newroot", "lib/modules"]) mkdirSync(join(ird, d), { recursive: true });
  copyFileSync("/usr/bin/busybox", join(ird, "bin", "busybox"));
  chmodSync(join(ird, "bin", "busybox"), 0o755);
  copyFileSync(join(GUEST_IMAGE_FILES, "initramfs-init"), join(ird, "init"));
  chmodSync(join(ird, "init"), 0o755);
  for (const path of order) {
    mkdirSync(join(ird, "lib", "modules", path, ".."), { recursive: true });
    copyFileSync(join(modDir, path), join(ird, "lib", "modules", path));
  }
  writeFileSync(join(ird, "modules.order"), order.join("\n") + "\n");
  const compressed = order.filter((p) => /\.ko\.(xz|zst|gz)$/.test(p));
  if (compressed.length > 0) throw new Error(`compressed modules in the initramfs need a decompressor: ${compressed.join(", ")}`);
  // cpio wants the file list on stdin; find prints it relative to the initramfs root.
  const list = await must(["find", ".", "-print"], { cwd: ird });
  const cpio = await run(["cpio", "-o", "-H", "newc", "--quiet", "-O", join(out, "initrd.cpio")], { cwd: ird, input: list.stdout });
  if (cpio.rc !== 0) throw new Error(`cpio: ${cpio.stderr}`);
  await must(["gzip", "-9", "-f", join(out, "initrd.cpio")]);
  renameSync(join(out, "initrd.cpio.gz"), join(out, "initrd.img"));
  rmSync(ird, { recursive: true, force: true });
  say(`initramfs: busybox + ${order.length} modules`);
}
