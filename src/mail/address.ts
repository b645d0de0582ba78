/**
 * Checks on what goes into a message's headers. Addresses come from our own database, but a
 * prospect's email was typed by someone: a CR or LF in a header value would let it add headers
 * (Bcc:) or a second recipient, so every value is checked again right before sending.
 */

// One mailbox, no display name, no comments, no list separators: anything else is refused.
const plainAddress = /^[^\s@<>()[\]\\,;:"\p{Cc}]+@[^\s@<>()[\]\\,;:"\p{Cc}]+$/u;
const controlCharacter = /\p{Cc}/u;

/** The SMTP limit on a forward path (RFC 5321 §4.5.3.1.3). */
const maxAddressLength = 254;

export function isDeliverableAddress(address: string): boolean {
  return address.length <= maxAddressLength && plainAddress.test(address);
}

/** A header value (subject, display name) that cannot start a new header line. */
export function isSingleLine(value: string): boolean {
  return !controlCharacter.test(value);
}

/** "Revenue API <no-reply@example.com>" or "no-reply@example.com" → "no-reply@example.com". */
export function addressOf(from: string): string {
  return /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from.trim();
}

export function domainOf(from: string): string {
  const address = addressOf(from);
  return address.slice(address.lastIndexOf("@") + 1) || "localhost";
}
