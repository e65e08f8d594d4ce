/**
 * The Unix socket's group (`socket_group`): a group name looked up in /etc/group, or a numeric gid.
 * Node has no getgrnam, so the file is read; NSS-only groups (LDAP, sssd) must be given as a number.
 */
import { readFileSync } from "node:fs";

export const GROUP_SYNTAX = /^(?:[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?|\d{1,10})$/;

export type GroupResult = { ok: true; gid: number } | { ok: false; reason: string };

/** The gid of `group` from the text of an /etc/group file. */
export function gidFromGroupFile(group: string, text: string, file = "/etc/group"): GroupResult {
  if (!GROUP_SYNTAX.test(group)) return { ok: false, reason: `socket_group '${group}' is not a group name or a numeric gid` };
  if (/^\d+$/.test(group)) {
    const gid = Number(group);
    return gid <= 0xfffffffe ? { ok: true, gid } : { ok: false, reason: `socket_group ${group} is not a valid gid` };
  }
  for (const line of text.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return { ok: true, gid: Number(gid) };
  }
  return { ok: false, reason: `socket_group '${group}' is not in ${file} (create it with groupadd, or give a numeric gid)` };
}

export function resolveGroup(group: string, file = "/etc/group"): GroupResult {
  if (/^\d+$/.test(group)) return gidFromGroupFile(group, "", file);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return { ok: false, reason: `socket_group '${group}': cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  return gidFromGroupFile(group, text, file);
}
