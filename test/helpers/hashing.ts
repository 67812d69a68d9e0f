/**
 * What a server's password hasher has done so far, from its /metrics: argon2 operations started
 * (hash, verify) and refused because its queue was full. Tests compare two readings to prove that
 * a request did, or did not, cost any hashing.
 */
export interface HashingCounts {
  hash: number;
  verify: number;
  refused: number;
}

export async function hashingCounts(baseUrl: string): Promise<HashingCounts> {
  const res = await fetch(`${baseUrl}/metrics`);
  const text = await res.text();
  if (!/^# TYPE empress_password_hashing_total counter$/m.test(text))
    throw new Error('no empress_password_hashing_total in /metrics');
  const read = (event: string) => {
    const line = new RegExp(
      `^empress_password_hashing_total\\{event="${event}"\\} (\\d+)$`,
      'm',
    ).exec(text);
    return Number(line?.[1] ?? 0);
  };
  return { hash: read('hash'), verify: read('verify'), refused: read('refused') };
}

/** The hashing done between two readings. */
export function hashingSince(before: HashingCounts, after: HashingCounts): HashingCounts {
  return {
    hash: after.hash - before.hash,
    verify: after.verify - before.verify,
    refused: after.refused - before.refused,
  };
}
