/*
 * Limits on the work the attachment policy does for one message, each with
 * its reason. The parts, the archives and their contents are the sender's
 * choice; a zip bomb or a message of ten thousand parts must cost little.
 * Past a limit nothing more is looked at and the message is reported as
 * suspicious (for the spam score), not refused: the virus scanner still
 * sees it whole.
 *
 * Exports: the constants below.
 * Security: every number bounds CPU or memory for hostile input.
 */

/** Leaf parts looked at per message: real mail has a handful; the MIME indexer's own cap is 10,000. */
export const MAX_PARTS = 500;
/** Of each part (or archive member), this much is decoded to tell its type: enough for every magic number checked, the ISO 9660 one at 32 KiB included. */
export const HEAD_BYTES = 36 * 1024;
/** Compressed octets of an archive member inflated to read its head: 4 KiB inflates to at most about 4 MiB (deflate's 1032:1), and to far more than HEAD_BYTES for any real file. */
export const HEAD_INPUT_BYTES = 4 * 1024;
/** What HEAD_INPUT_BYTES can inflate to, so a head never fails for being too large. */
export const HEAD_INFLATE_MAX = 5 * 1024 * 1024;
/** An archive is read whole to find its central directory; a larger one (decoded, or inflated when nested) is not looked into. */
export const MAX_ARCHIVE_BYTES = 32 * 1024 * 1024;
/** Zip inside zip inside zip: deeper ones are not opened (ClamAV's default recursion limit is 17, for a scanner that does nothing else). */
export const MAX_ARCHIVE_DEPTH = 3;
/** Members whose names are checked per message: names cost 46 octets each to read; ClamAV's MaxFiles is 10,000 too. */
export const MAX_ARCHIVE_ENTRIES = 10_000;
/** Members inflated to look at their content, per message: each costs an inflate of HEAD_INPUT_BYTES. */
export const MAX_INFLATED_ENTRIES = 500;
/** Octets inflated in all, per message, heads and nested archives together. */
export const MAX_INFLATED_TOTAL = 96 * 1024 * 1024;
/** Attached messages that came base64 encoded are decoded and read this deep. */
export const MAX_MESSAGE_DEPTH = 3;
/** Suspicious or blocked files reported per message, in facts and the log. */
export const MAX_FINDINGS = 20;
