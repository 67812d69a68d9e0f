/** addresses remembered in all; past it, the memory starts afresh (a check costs one lookup) */
const MAX_KNOWN = 100_000;

/**
 * The addresses each key is known (from api_key_addresses) to have been used from, remembered so
 * that a key used from the same places all day is checked against the database once per place,
 * not once per use. Bounded: forgetting only costs a check that finds the address known.
 */
export class KnownAddresses {
  private byKey = new Map<string, Set<string>>();
  private size = 0;

  has(keyId: string, address: string): boolean {
    return this.byKey.get(keyId)?.has(address) ?? false;
  }

  add(keyId: string, address: string): void {
    if (this.size >= MAX_KNOWN) {
      this.byKey = new Map();
      this.size = 0;
    }
    let addresses = this.byKey.get(keyId);
    if (!addresses) this.byKey.set(keyId, (addresses = new Set()));
    if (addresses.has(address)) return;
    addresses.add(address);
    this.size++;
  }
}
