/*
 * Limits on what a DNS server (or anyone forging its answers) controls,
 * for the wire client (wire-codec.ts, wire-answer.ts, wire-transport.ts)
 * and the answer cache (cache.ts). Each has its reason.
 *
 * Exports: EDNS_UDP_PAYLOAD, MAX_MESSAGE_BYTES, MAX_RESPONSE_RECORDS,
 * MAX_CNAME_CHAIN, MAX_CACHE_TTL_SECONDS, DEFAULT_NEGATIVE_TTL_SECONDS,
 * DEFAULT_CACHE_ENTRIES.
 * Security: these bound memory and work per lookup; none is a protocol
 * maximum we could exceed by accident.
 * Standards: RFC 1035 section 4.2.2 (TCP length prefix), RFC 6891 section
 * 6.2.5 (EDNS payload size), RFC 2308 section 5 (negative caching).
 */

/** The UDP payload size we advertise in EDNS0: the DNS Flag Day 2020 value, which avoids IP fragmentation on any path. */
export const EDNS_UDP_PAYLOAD = 1232;

/** Largest response read over UDP or TCP: TCP's two-octet length prefix cannot announce more, so nothing legitimate is larger. */
export const MAX_MESSAGE_BYTES = 65_535;

/** Resource records in one response, all sections together: an MX, TLSA or TXT answer with its signatures is a few dozen; more is a hostile server making us decode. */
export const MAX_RESPONSE_RECORDS = 1_000;

/** CNAMEs followed inside one answer: resolvers give up near this (BIND after 16 restarts, most after fewer); real chains are one or two long. */
export const MAX_CNAME_CHAIN = 8;

/** Longest an answer stays cached, whatever its TTL: a record changed by its owner is seen within the hour, and a poisoned one cannot stay for days. */
export const MAX_CACHE_TTL_SECONDS = 3_600;

/** How long a denial (NXDOMAIN, NODATA) is cached when the answer carried no SOA to say so. */
export const DEFAULT_NEGATIVE_TTL_SECONDS = 60;

/** Answers kept by the cache (least recently used go first): about 1 KiB each, so about 10 MiB at worst. */
export const DEFAULT_CACHE_ENTRIES = 10_000;
