/*
 * The table of every Sieve command and test Petrel knows: which extension
 * brings it, its tagged arguments, its positional arguments, whether it takes
 * a comparator, match type, address part, tests or a block. The validator
 * checks scripts against it; rules that a table cannot say live in
 * validator.ts next to the command's name.
 *
 * Exports: COMMANDS, TESTS, Signature, TagSpec, ArgType, MATCH_TAGS,
 * ADDRESS_PART_TAGS, COMPARATORS.
 * Security: none (constants); lookups use Object.hasOwn on null-prototype maps.
 * Standards: RFC 5228 sections 3-5 and the extension RFCs in extensions.ts.
 */

export type ArgType = 'string' | 'list' | 'number';

export interface TagSpec {
  /** Extension that must be required to use the tag. */
  ext?: string;
  /** The argument that follows the tag, if any. */
  value?: ArgType;
  /** Tags of the same group exclude each other. */
  group?: string;
}

export interface Signature {
  /** Extension(s) that bring the command or test; one of them must be required. */
  ext?: readonly string[];
  tags: { readonly [tag: string]: TagSpec };
  /** Accepted forms of the positional arguments. */
  args: readonly (readonly ArgType[])[];
  /** Takes :comparator and a match type. */
  match?: boolean;
  /** Takes :all/:localpart/:domain/:user/:detail. */
  addressPart?: boolean;
  /** Nested tests (tests only, and if/elsif for commands). */
  tests?: 'one' | 'list';
  /** Block after the command. */
  block?: boolean;
}

/** Match types: tag → extension (undefined: base language) and whether a relation string follows. */
export const MATCH_TAGS: { readonly [tag: string]: { ext?: string; relational?: boolean } } = Object.freeze(
  Object.assign(Object.create(null), {
    is: {},
    contains: {},
    matches: {},
    regex: { ext: 'regex' },
    count: { ext: 'relational', relational: true },
    value: { ext: 'relational', relational: true },
  }),
);

export const ADDRESS_PART_TAGS: { readonly [tag: string]: { ext?: string } } = Object.freeze(
  Object.assign(Object.create(null), {
    all: {},
    localpart: {},
    domain: {},
    user: { ext: 'subaddress' },
    detail: { ext: 'subaddress' },
  }),
);

/** Comparator name → extension needed (undefined: always available). */
export const COMPARATORS: { readonly [name: string]: string | undefined } = Object.freeze(
  Object.assign(Object.create(null), {
    'i;octet': undefined,
    'i;ascii-casemap': undefined,
    'i;ascii-numeric': 'comparator-i;ascii-numeric',
  }),
);

export const RELATIONS: readonly string[] = ['gt', 'ge', 'lt', 'le', 'eq', 'ne'];

const S: ArgType = 'string';
const L: ArgType = 'list';
const N: ArgType = 'number';

const INDEX_TAGS: { [tag: string]: TagSpec } = {
  index: { ext: 'index', value: N },
  last: { ext: 'index' },
};
const MIME_TAGS: { [tag: string]: TagSpec } = {
  mime: { ext: 'mime' },
  anychild: { ext: 'mime' },
  type: { ext: 'mime', group: 'mimeopt' },
  subtype: { ext: 'mime', group: 'mimeopt' },
  contenttype: { ext: 'mime', group: 'mimeopt' },
  param: { ext: 'mime', value: L, group: 'mimeopt' },
};
/** `set` and `extracttext` modifiers (RFC 5229 4.1, RFC 5703 7, RFC 5435 6). */
export const MODIFIERS: { readonly [tag: string]: { precedence: number; ext?: string } } = Object.freeze(
  Object.assign(Object.create(null), {
    lower: { precedence: 40 },
    upper: { precedence: 40 },
    lowerfirst: { precedence: 30 },
    upperfirst: { precedence: 30 },
    quotewildcard: { precedence: 20 },
    quoteregex: { precedence: 20, ext: 'regex' },
    encodeurl: { precedence: 15, ext: 'enotify' },
    length: { precedence: 10 },
  }),
);
const MODIFIER_TAGS: { [tag: string]: TagSpec } = Object.fromEntries(
  Object.entries(MODIFIERS).map(([k, v]) => [k, v.ext ? { ext: v.ext } : {}]),
);

function table(t: { [name: string]: Signature }): { readonly [name: string]: Signature } {
  return Object.freeze(Object.assign(Object.create(null), t));
}

export const COMMANDS = table({
  require: { tags: {}, args: [[L]] },
  if: { tags: {}, args: [[]], tests: 'one', block: true },
  elsif: { tags: {}, args: [[]], tests: 'one', block: true },
  else: { tags: {}, args: [[]], block: true },
  stop: { tags: {}, args: [[]] },
  keep: { tags: { flags: { ext: 'imap4flags', value: L } }, args: [[]] },
  discard: { tags: {}, args: [[]] },
  redirect: { tags: { copy: { ext: 'copy' } }, args: [[S]] },
  fileinto: {
    ext: ['fileinto'],
    tags: {
      copy: { ext: 'copy' },
      flags: { ext: 'imap4flags', value: L },
      create: { ext: 'mailbox' },
      specialuse: { ext: 'special-use', value: S },
    },
    args: [[S]],
  },
  reject: { ext: ['reject'], tags: {}, args: [[S]] },
  ereject: { ext: ['ereject'], tags: {}, args: [[S]] },
  setflag: { ext: ['imap4flags'], tags: {}, args: [[L], [S, L]] },
  addflag: { ext: ['imap4flags'], tags: {}, args: [[L], [S, L]] },
  removeflag: { ext: ['imap4flags'], tags: {}, args: [[L], [S, L]] },
  vacation: {
    ext: ['vacation'],
    tags: {
      days: { value: N, group: 'period' },
      seconds: { ext: 'vacation-seconds', value: N, group: 'period' },
      subject: { value: S },
      from: { value: S },
      addresses: { value: L },
      mime: {},
      handle: { value: S },
    },
    args: [[S]],
  },
  set: { ext: ['variables'], tags: MODIFIER_TAGS, args: [[S, S]] },
  addheader: { ext: ['editheader'], tags: { last: {} }, args: [[S, S]] },
  deleteheader: { ext: ['editheader'], tags: { ...INDEX_TAGS }, args: [[S], [S, L]], match: true },
  include: {
    ext: ['include'],
    tags: { personal: { group: 'location' }, global: { group: 'location' }, once: {}, optional: {} },
    args: [[S]],
  },
  return: { ext: ['include'], tags: {}, args: [[]] },
  global: { ext: ['include'], tags: {}, args: [[L]] },
  foreverypart: { ext: ['foreverypart'], tags: { name: { value: S } }, args: [[]], block: true },
  break: { ext: ['foreverypart'], tags: { name: { value: S } }, args: [[]] },
  extracttext: { ext: ['extracttext'], tags: { ...MODIFIER_TAGS, first: { value: N } }, args: [[S]] },
  notify: {
    ext: ['enotify'],
    tags: { from: { value: S }, importance: { value: S }, options: { value: L }, message: { value: S } },
    args: [[S]],
  },
  error: { ext: ['ihave'], tags: {}, args: [[S]] },
});

export const TESTS = table({
  address: { tags: { ...INDEX_TAGS, mime: { ext: 'mime' }, anychild: { ext: 'mime' } }, args: [[L, L]], match: true, addressPart: true },
  envelope: { ext: ['envelope'], tags: {}, args: [[L, L]], match: true, addressPart: true },
  header: { tags: { ...INDEX_TAGS, ...MIME_TAGS }, args: [[L, L]], match: true },
  exists: { tags: { mime: { ext: 'mime' }, anychild: { ext: 'mime' } }, args: [[L]] },
  size: { tags: { over: { value: N, group: 'size' }, under: { value: N, group: 'size' } }, args: [[]] },
  allof: { tags: {}, args: [[]], tests: 'list' },
  anyof: { tags: {}, args: [[]], tests: 'list' },
  not: { tags: {}, args: [[]], tests: 'one' },
  true: { tags: {}, args: [[]] },
  false: { tags: {}, args: [[]] },
  body: {
    ext: ['body'],
    tags: { raw: { group: 'transform' }, content: { value: L, group: 'transform' }, text: { group: 'transform' } },
    args: [[L]],
    match: true,
  },
  string: { ext: ['variables'], tags: {}, args: [[L, L]], match: true },
  date: {
    ext: ['date'],
    tags: { zone: { value: S, group: 'zone' }, originalzone: { group: 'zone' }, ...INDEX_TAGS },
    args: [[S, S, L]],
    match: true,
  },
  currentdate: { ext: ['date'], tags: { zone: { value: S } }, args: [[S, L]], match: true },
  mailboxexists: { ext: ['mailbox'], tags: {}, args: [[L]] },
  environment: { ext: ['environment'], tags: {}, args: [[S, L]], match: true },
  duplicate: {
    ext: ['duplicate'],
    tags: { handle: { value: S }, header: { value: S, group: 'id' }, uniqueid: { value: S, group: 'id' }, seconds: { value: N }, last: {} },
    args: [[]],
  },
  spamtest: { ext: ['spamtest', 'spamtestplus'], tags: { percent: { ext: 'spamtestplus' } }, args: [[S]], match: true },
  virustest: { ext: ['virustest'], tags: {}, args: [[S]], match: true },
  specialuse_exists: { ext: ['special-use'], tags: {}, args: [[L], [S, L]] },
  valid_notify_method: { ext: ['enotify'], tags: {}, args: [[L]] },
  notify_method_capability: { ext: ['enotify'], tags: {}, args: [[S, S, L]], match: true },
  ihave: { ext: ['ihave'], tags: {}, args: [[L]] },
  hasflag: { ext: ['imap4flags'], tags: {}, args: [[L], [L, L]], match: true },
});

/** RFC 5260 section 4.2 date parts. */
export const DATE_PARTS: readonly string[] = [
  'year', 'month', 'day', 'date', 'julian', 'hour', 'minute', 'second', 'time', 'iso8601', 'std11', 'zone', 'weekday',
];
