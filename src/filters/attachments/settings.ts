/*
 * The attachment policy's settings, with their defaults, and the mapping
 * of the [attachments] configuration section onto them.
 *
 * The default blocked types are the Windows programs, scripts, shortcuts
 * and installers that mail carries malware in, and the disk images used to
 * smuggle them past such lists (ISO, IMG, VHD): close to Gmail's list of
 * blocked file types and amavis's $banned_filename_re, without the
 * archives themselves (zip, 7z, rar, cab), which are looked into instead.
 *
 * Exports: AttachmentSettings, DEFAULT_BLOCKED_EXTENSIONS,
 * DEFAULT_ATTACHMENT_SETTINGS, attachmentSettingsFrom.
 * Security: operator input only.
 */
import type { Config } from '../../config/schema.js';
import type { ClientInfo } from '../types.js';

export const DEFAULT_BLOCKED_EXTENSIONS: readonly string[] = Object.freeze([
  // Windows programs, libraries, control panel items, drivers
  'exe', 'com', 'scr', 'pif', 'cpl', 'dll', 'sys', 'vxd', 'xll', 'gadget',
  // installers and application packages
  'msi', 'msp', 'mst', 'msix', 'msixbundle', 'appx', 'appxbundle', 'application', 'jar', 'jnlp',
  // scripts the Windows Script Host, cmd or PowerShell runs on a double click
  'bat', 'cmd', 'vb', 'vbs', 'vbe', 'js', 'jse', 'wsf', 'wsh', 'wsc', 'sct', 'hta', 'ps1', 'psm1',
  // shortcuts, registry files, help files, setup information, consoles
  'lnk', 'scf', 'reg', 'chm', 'inf', 'ins', 'isp', 'msc', 'shb', 'shs', 'ade', 'adp',
  // disk images that Windows mounts with a double click
  'iso', 'img', 'vhd', 'vhdx',
]);

export interface AttachmentSettings {
  /** File name extensions refused, lower case, without the dot. */
  blocked: string[];
  /** "reject": 554 5.7.1; "score": only facts.attachments, for the spam score. */
  action: 'reject' | 'score';
  /** Look at the names and contents of the files inside zip archives (nested ones too, bounded). */
  scanArchives: boolean;
  /** Refuse (with action "reject") encrypted archives, whose contents cannot be looked at; otherwise they only count in the spam score. */
  blockEncrypted: boolean;
  /** Sessions whose mail is checked. Default MX and LMTP, the mail from outside, as the spam filter that reads the facts. */
  roles: ClientInfo['role'][];
}

export const DEFAULT_ATTACHMENT_SETTINGS: Readonly<AttachmentSettings> = Object.freeze({
  blocked: [...DEFAULT_BLOCKED_EXTENSIONS],
  action: 'reject',
  scanArchives: true,
  blockEncrypted: false,
  roles: ['mx', 'lmtp'],
} satisfies AttachmentSettings);

/** [attachments] as the filter reads it (enabled is the caller's to check). */
export function attachmentSettingsFrom(section: Config['attachments']): AttachmentSettings {
  return {
    ...DEFAULT_ATTACHMENT_SETTINGS,
    blocked: section.blocked.map((e) => e.toLowerCase().replace(/^\./, '')),
    action: section.action,
    scanArchives: section.scan_archives,
    blockEncrypted: section.block_encrypted,
    roles: [...DEFAULT_ATTACHMENT_SETTINGS.roles],
  };
}
