/*
 * The attachment policy (issue 6, "Viruses"): blocked file types found by
 * name and by content, also inside zip archives.
 *
 * Exports: attachmentFilter and its settings; inspectMessage (what the
 * policy finds, for tools and tests).
 */
export { attachmentFilter } from './filter.js';
export { attachmentSettingsFrom, DEFAULT_ATTACHMENT_SETTINGS, DEFAULT_BLOCKED_EXTENSIONS, type AttachmentSettings } from './settings.js';
export { extensionOf, inspectMessage, type Finding, type InspectPolicy } from './inspect.js';
