#!/usr/bin/env node
// Installs the Debian packages a job needs on this machine, so a fresh clone on a fresh Debian/Ubuntu
// machine needs nothing done by hand. Usage: node packaging/host-deps.mjs test|lab|bench [...]
// Each profile maps a command to the package that provides it; only missing commands are installed.
import { execFileSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";

const PROFILES = {
  // tgtd: agents/tgt/ipc.test.ts talks to a real tgtd (user space, loopback portal, its own socket).
  test: { xmllint: "libxml2-utils", xsltproc: "xsltproc", rpmbuild: "rpm", rpmlint: "rpmlint", groff: "groff-base", tgtd: "tgt" },
  lab: {
    "qemu-system-x86_64": "qemu-system-x86",
    "qemu-img": "qemu-utils",
    mmdebstrap: "mmdebstrap",
    busybox: "busybox-static",
    socat: "socat",
    ip: "iproute2",
    ping: "iputils-ping",
    "mke2fs": "e2fsprogs",
    cpio: "cpio",
  },
  bench: { hyperfine: "hyperfine" },
};

const dirs = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
const have = (cmd) =>
  dirs.some((d) => {
    try {
      accessSync(`${d}/${cmd}`, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

const wanted = process.argv.slice(2);
if (wanted.length === 0 || wanted.some((p) => !(p in PROFILES))) {
  console.error(`usage: host-deps.mjs ${Object.keys(PROFILES).join("|")} [...]`);
  process.exit(2);
}
const packages = new Set();
for (const p of wanted) for (const [cmd, pkg] of Object.entries(PROFILES[p])) if (!have(cmd)) packages.add(pkg);
if (packages.size === 0) process.exit(0);

const list = [...packages].sort();
if (process.getuid?.() !== 0) {
  console.error(`host-deps: missing Debian packages: ${list.join(" ")}\n  run as root: apt-get install -y --no-install-recommends ${list.join(" ")}`);
  process.exit(1);
}
console.error(`host-deps: installing ${list.join(" ")} (apt)`);
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
const apt = (args) => execFileSync("apt-get", args, { stdio: ["ignore", "inherit", "inherit"], env });
try {
  apt(["install", "-y", "--no-install-recommends", ...list]);
} catch {
  apt(["update"]);
  apt(["install", "-y", "--no-install-recommends", ...list]);
}

// Packages whose install enables a network service the jobs do not want running on this machine: the
// tests start their own tgtd on a loopback portal and stop it. Under systemd, Debian's postinst enables
// and starts tgt.service (port 3260, all addresses); undo that, for packages installed here only.
const SERVICES = { tgt: "tgt.service" };
const systemd = existsSync("/run/systemd/system");
for (const pkg of list) {
  const unit = SERVICES[pkg];
  if (unit === undefined || !systemd) continue;
  try {
    execFileSync("systemctl", ["disable", "--now", unit], { stdio: ["ignore", "inherit", "inherit"] });
    console.error(`host-deps: ${unit} stopped and disabled (installed for the tests, which start their own)`);
  } catch (e) {
    console.error(`host-deps: could not stop ${unit}: ${e.message}`);
  }
}
