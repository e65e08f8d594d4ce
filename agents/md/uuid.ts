/**
 * md array UUIDs appear in three spellings: mdadm's `1e618de3:71fb3487:b1b62896:ad659dc6`, sysfs's
 * `1e618de3-71fb-3487-b1b6-2896ad659dc6`, and plain hex. Everything in pmsapp compares the canonical form:
 * 32 lower-case hex digits. An all-zero UUID (what sysfs shows for an inactive array) is no UUID.
 */
export function canonicalUuid(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const hex = text.trim().toLowerCase().replace(/[:-]/g, "");
  if (!/^[0-9a-f]{32}$/.test(hex) || /^0+$/.test(hex)) return undefined;
  return hex;
}

/** mdadm's spelling, for command lines such as `--uuid=`. */
export function mdadmUuid(canonical: string): string {
  return canonical.match(/.{8}/g)?.join(":") ?? canonical;
}
