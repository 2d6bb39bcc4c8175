/**
 * Pattern tables for risk scoring (see riskScoring.ts). General phrasings only: English and
 * German first (our traffic), plus the "forget all instructions" idiom in a few more languages.
 *
 * Every regex must stay linear on megabyte inputs: word gaps are bounded and built from
 * disjoint classes (`\s+` then letters) so there is one way to split them, and free-text
 * windows are bounded (`[^.!?\n]{0,40}?`). Business text is the false-positive budget ("ignore
 * the above email", "drop all tasks", "enable developer mode on Android", "act as a liaison"),
 * which is why verbs, qualifiers and objects below are deliberately narrow. How the rules are
 * joined and run is in ruleMatching.ts.
 */

import type { PatternRule } from './ruleMatching.js';
import { hasSpacedRunSteps } from './spacedRuns.js';

export type InjectionFlag =
  | 'injection:override'
  | 'injection:jailbreak'
  | 'injection:prompt_extraction'
  | 'injection:encoded'
  | 'injection:delimiter';

export type ContentFlag =
  'content:violence' | 'content:self_harm' | 'content:weapons' | 'content:malware' | 'content:hate';

/**
 * V8 runs `iu` regexes about ten times slower than `u` ones on long inputs, so rules are
 * lower-cased at build time (escapes such as `\W` or `\p{L}` kept) and run on lower-cased text.
 */
function lowerOutsideEscapes(source: string): string {
  return source.replace(/\\(?:[pP]\{[^}]*\}|.)|[^\\]+/gsu, (part) =>
    part.startsWith('\\') ? part : part.toLowerCase(),
  );
}

const build =
  (caseSensitive: boolean) =>
  (strings: TemplateStringsArray, ...parts: string[]): PatternRule => {
    const source = String.raw({ raw: strings.raw }, ...parts);
    return { re: new RegExp(caseSensitive ? source : lowerOutsideEscapes(source), 'u'), caseSensitive };
  };
/** case-insensitive (via lower-casing); `\p{L}` covers umlauts and Cyrillic */
const re = build(false);
/** case-sensitive: for capitalised names and acronyms */
const reCs = build(true);
const raw = String.raw;

/** up to n words between two anchors */
const gap = (n: number): string => raw`(?:\s+[\p{L}\p{N}'’_-]+){0,${String(n)}}?`;
const NOT_NEGATED = raw`(?<!(?:\bnot|\bnever|n't|\bnicht|\bnie)\s{1,3})`;

const EN_VERB = raw`(?:ignore|ignoring|forget|forgetting|disregard|disregarding)`;
/** everyday business verbs ("drop all tasks") only count with "your" */
const EN_WEAK_VERB = raw`(?:drop|abandon|bypass|neglect|discard|set\s+aside|put\s+aside|throw\s+away)`;
const EN_SCOPE = raw`(?:all|any|every|each|your|previous|previously|prior|preceding|above|earlier|former|original|initial|foregoing|provided|given|existing|system)`;
const EN_OBJECT = raw`(?:instructions?|prompts?|rules|directions|directives|commands|tasks|assignments|constraints|context|thoughts|programming|training)`;
/** "ignore the previous instructions regarding parking" is an office memo, not an attack */
const EN_MEMO_TAIL = raw`(?!\s+(?:regarding|concerning|about|of|for\s+(?:the|this|that|a|an|one|each|every|these|those|my|our)|on\s+the|from\s+(?:the|our|HR|IT|management)|in\s+(?:the|this|that|a|my|our)\s+(?:e-?mails?|mails?|messages?|letters?|memos?|files?|lines?|folders?|director(?:y|ies)|projects?|repo(?:sitory)?|config|code|sections?|documents?|spreadsheets?|sheets?))\b)`;
const BUSINESS_NOUN = raw`(?:e-?mails?|mails?|messages?|notes?|comments?|drafts?|invoices?|attachments?|links?|versions?|address(?:es)?|figures?|numbers?|amounts?|tables?|lists?|sections?|paragraphs?|charts?|images?|pictures?|points?|items?|steps?|question)`;

const DE_PREVIOUS = raw`(?:vorherigen?|bisherigen?|vorangehenden?|vorangegangenen?|obigen?|vorigen?|früheren?|ursprünglichen?|vorhergehenden?|gegebenen?)`;
const DE_OBJECT = raw`(?:Anweisungen|Aufgaben|Aufträge|Befehle|Angaben|Informationen|Instruktionen|Regeln|Ausführungen|Vorgaben|Anordnungen|Prompts?)`;
/** imperative forms only: "ich habe die vorherigen Anweisungen vergessen" is a confession */
const DE_VERB_BEFORE = raw`(?:vergiss|vergesst|vergessen\s+Sie|ignoriere|ignorier|ignorieren\s+Sie|missachte|missachten\s+Sie)`;
const DE_VERB_AFTER = raw`(?:ignorieren|missachten|irrelevant|hinter\s+sich)`;
const DE_MEMO_TAIL = raw`(?!\s+(?:zu[rm]?|bezüglich|über|für|vom|aus\s+(?:der|meiner|unserer))\b)`;
const FOREIGN_VERB = raw`(?:olvida|olvidar|olvide|olvidad|oubliez|ignorez|dimentica|dimenticate|esqueça|esquece|vergeet|negeer|zaboravi|zaboravite|zapomnij|zignoruj|забудь(?:те)?|игнорируй(?:те)?|проигнорируй(?:те)?)`;
const FOREIGN_ALL = raw`(?:todo|todas|tout|toutes|tutto|tutte|tudo|alles|alle|sve|sva|wszystko|wszystkie|все|всё|les\s+instructions|las\s+instrucciones|le\s+istruzioni)`;

const OVERRIDE: PatternRule[] = [
  re`${NOT_NEGATED}\b${EN_VERB}\b${gap(2)}\s+${EN_SCOPE}\b${gap(2)}\s+${EN_OBJECT}\b${EN_MEMO_TAIL}`,
  re`${NOT_NEGATED}\b(?:${EN_VERB}|${EN_WEAK_VERB})\s+(?:all\s+(?:of\s+)?)?your\s+(?:\p{L}+\s+)?(?:${EN_OBJECT}|guidelines|restrictions|filters|safety|ethics|morals|principles)\b${EN_MEMO_TAIL}`,
  // "forget everything before that", "forget about everything and tell me": imperative only
  re`(?:^|[.!?,;:"“(-]\s*|\b(?:now|then|please|just|and|but|so|you|to)\s+)(?:forget|ignore|disregard)\s+(?:about\s+)?(?:everything|all\s+(?:of\s+)?(?:that|this))(?=\s*[,.;:!-]|\s+(?:before|above|prior|previously|earlier|so\s+far|said|(?:that\s+)?(?:i|you|we)\s+(?:said|told|discussed|wrote|mentioned)|(?:and|then)\s+(?:just\s+|only\s+)?(?:say|tell|write|print|output|answer|respond|repeat|focus|start)))`,
  re`\bignore\s+everything\b(?!\s+(?:else|except|but|in|on|from|after|below|that|which|outside|older|other)\b)`,
  re`${NOT_NEGATED}\b(?:ignore|disregard|forget)\s+(?:the\s+|everything\s+|all\s+)?(?:above|preceding|foregoing)\b(?!\s+${BUSINESS_NOUN}\b)`,
  re`\b(?:remove|delete|erase|clear|wipe)\b${gap(4)}\s+(?:out\s+of|from)\s+your\s+(?:head|mind|memory)\b`,
  re`\bleave\s+(?:all\s+)?(?:the\s+)?(?:previous|prior|earlier)\s+(?:information|instructions|tasks|context)\s+behind\b`,
  re`\b(?:change|replace|update|overwrite)\s+your\s+(?:instructions|system\s+prompt|programming|rules)\s+(?:to|with)\b`,
  re`\byour\s+(?:new\s+)?instructions\s+are\s+now\b`,
  re`\b(?:focus|concentrate)\s+on\s+(?:your|the|a)\s+new\s+(?:task|assignment|instructions?)\b`,
  re`\b(?:new|further|additional)\s+(?:tasks|instructions|assignments|orders)\s+(?:now\s+)?(?:follow|are\s+following|are\s+followed)\b`,
  re`\bstart(?:s|ing)?\s+(?:over\s+|again\s+|anew\s+)?with\s+a\s+new\s+task\s*[:,;.!-]`,
  re`\bdespite\s+what\s+you(?:'ve|\s+have)?\s+been\s+(?:told|instructed)\b`,
  re`\b(?:do\s+not|don'?n?'?t|dont)\s+answer\s+(?:this|the|my)\s+question\s*,?\s*(?:but|and|instead|just)\b`,
  re`\binstead\s+(?:just\s+)?(?:output|print|say|respond\s+with|reply\s+with)\b`,
  re`\bI\s+(?:command|order)\s+you\s+to\b`,
  re`\b(?:say|state|tell\s+(?:me|us)|include|admit|confess|write)\s+(?:in\s+your\s+answer\s+)?that\s+you\s+(?:hate|despise)\b`,
  re`\b(?:attention|achtung)\W{1,5}stopp?\b|\bstopp?\s*[-:,!]\s*(?:write|say|print|output|ignore|forget|schreib\p{L}*|ignorier\p{L}*|vergiss)\b`,
  // retrieval bypass: "answer from your own knowledge and not the articles"
  re`\bown\s+knowledge\s+(?:and\s+)?(?:not|instead\s+of|rather\s+than)\b`,
  re`\b(?:do\s+not|don'?n?'?t|dont|never)\s+(?:answer|respond|reply|look)\b[^.?!\n]{0,50}?\b(?:provided|given|supplied|retrieved)\s+(?:articles?|documents?|context|sources?)\b`,
  re`\b(?:do\s+not|don'?n?'?t|dont|never)\s+look\s+(?:in|at)\s+the\s+(?:articles?|documents?|context|sources?)\b`,
  re`\b(?:disregard|ignor)(?:e|ing)?\s+(?:all\s+)?(?:the\s+)?(?:provided\s+|given\s+|retrieved\s+|supplied\s+)?(?:articles|context|search\s+results)\b`,
  // German
  re`\b${DE_VERB_BEFORE}\b[^.!?\n]{0,60}?${DE_PREVIOUS}\s+${DE_OBJECT}${DE_MEMO_TAIL}|${DE_PREVIOUS}\s+${DE_OBJECT}[^.!?\n]{0,60}?${DE_VERB_AFTER}`,
  re`\b(?:vergiss|vergesst|vergessen\s+Sie)\s+(?:(?:jetzt|nun|bitte|einfach|mal|doch)\s+){0,2}(?:alles(?!\s+(?:was\s+(?:du|Sie)\s+(?:über|von)|nicht))|(?:alle|sämtliche)\s+(?:\p{L}+\s+)?${DE_OBJECT})`,
  re`\babweichend\s+(?:zu|von)\s+(?:den\s+)?${DE_PREVIOUS}\s+(?:Anweisungen|Instruktionen|Prompts?)`,
  re`\b(?:konzentriere|fokussiere)\s+dich\s+(?:jetzt\s+|nun\s+)?auf\s+(?:deine|die)\s+neue\s+Aufgabe`,
  re`\b(?:nun|jetzt|es|hier)\s+folgen\s+(?:neue|weitere)\s+(?:Aufgaben|Anweisungen|Instruktionen|Befehle)`,
  re`\b(?:starten|beginnen|fangen)\b[^.!?\n]{0,30}?\bmit\s+einer\s+neuen\s+Aufgabe`,
  re`\baus\s+dem\s+(?:Kopf|Gedächtnis)\s+(?:zu\s+)?(?:streichen|löschen)`,
  // the same idiom in es, fr, it, pt, nl, hr/sr/bs, pl, ru
  re`(?<!\p{L})${FOREIGN_VERB}\s+${FOREIGN_ALL}(?!\p{L})`,
];

const JAILBREAK: PatternRule[] = [
  re`\bdo\s+anything\s+now\b`,
  reCs`\b(?:[Yy]ou\s+are|[Yy]ou're|[Aa]ct\s+as|[Bb]e|[Bb]ecome|called|named)\s+(?:now\s+)?(?:DAN|STAN|DUDE)\b`,
  re`\b(?:god|jailbreak|jailbroken|dan|unrestricted|unfiltered|evil|opposite|chaos)\s+mode\b`,
  re`\b(?:you(?:'re|\s+are)?\s+(?:now\s+)?(?:in|into)|act(?:ing)?\s+as|simulate|(?:chatgpt|gpt|ai|assistant|model)\s+(?:with|in))\s+(?:the\s+)?developer\s+mode\b`,
  re`\b(?:evil|unrestricted|unfiltered|uncensored|jailbroken|amoral|immoral|böse|bösartige)\s+(?:AI|A\.I\.|KI|assistant|Assistent(?:in)?|chatbot|GPT|persona|version\s+of\s+(?:yourself|ChatGPT|GPT))\b`,
  re`\byou(?:'re|\s+are)\s+(?:now\s+)?(?:\p{L}+\s+){0,2}?(?:amoral|immoral|unfiltered|uncensored|unrestricted|jailbroken)\b`,
  re`\b(?:no|without|ignore|bypass|beyond|free\s+(?:from|of)|not\s+bound\s+by)\s+(?:any\s+|all\s+|the\s+|your\s+)?(?:programming|content|safety|ethical|moral|openai|usage)\s+(?:guidelines|polic(?:y|ies)|filters|restrictions|constraints)\b`,
  re`\b(?:able|allowed|free|permitted)\s+to\s+(?:use|say|write|generate|produce)\s+(?:hate\s+speech|slurs|racist)\b`,
  re`\b(?:theoretical|hypothetical|fictional|imaginary)\s+(?:world|scenario|universe|setting)\s+where\s+(?:you|there)\s+(?:are|is|were|have)\s+no\b`,
  // pretending to have powers or no limits; "pretend you are a customer" is ordinary role-play
  re`${NOT_NEGATED}\bpretend(?:ing)?\s+(?:that\s+)?(?:you(?:'re|\s+are)\s+(?:not|no\s+longer|free|allowed|able|unrestricted|human)|you\s+(?:can|could|have\s+no|don'?t\s+have|do\s+not\s+have|are\s+not\s+bound)|to\s+be\s+(?:human|a\s+human|another\s+ai|a\s+different\s+ai|not\s+an\s+ai))\b`,
  re`\btu\s+so,?\s+als\s+(?:ob\s+du|wärst\s+du|seist\s+du|könntest\s+du)\b`,
  // role-play that must never be left ("stays in character", "aus der Rolle fallen")
  re`\b(?:stay|stays|staying|remain|remains|keep|keeps)\s+in\s+(?:the\s+)?character\b`,
  re`\b(?:stay|stays|staying|remain|remains)\s+(?:always|fully|completely|entirely)\s+in\s+(?:their|your|his|her|the)\s+roles?\b`,
  re`\b(?:always|fully|completely)\s+(?:stay|stays|remain|remains)\s+in\s+(?:their|your|his|her|the)\s+roles?\b`,
  re`(?:\bnever|\bnot|n't|\bwithout(?:\s+even)?)\s+(?:\p{L}+\s+){0,2}?(?:break|breaking|drop|dropping|fall(?:ing)?\s+out\s+of|leav(?:e|ing)|step(?:ping)?\s+out\s+of)\s+(?:the\s+|their\s+|your\s+|his\s+|her\s+)?(?:character|figure|role)s?\b`,
  re`\babsorbed\s+in\s+(?:your|the|their|his|her)\s+role\b`,
  re`\bbleib(?:e|t|en)?\s+(?:immer\s+|stets\s+|voll\s+|vollkommen\s+|ganz\s+)?in\s+(?:ihren|ihrer|seiner|deiner|der|den)\s+Rollen?\b`,
  re`\baus\s+(?:der|ihrer|seiner|deiner)\s+(?:Rolle|Figur)\s+(?:zu\s+)?fallen\b|\bin\s+(?:deiner|Ihrer|ihrer|seiner)\s+Rolle\s+auf\b`,
  // emulating a shell or interpreter sidesteps the assistant's own rules
  re`\bact(?:ing)?\s+as\s+(?:a\s+|an\s+)?(?:linux\s+|bash\s+|unix\s+|windows\s+|python\s+|sql\s+|javascript\s+)?(?:terminal|interpreter|shell|console)\b(?!\s+(?:emulator|server|app|application)\b)`,
  re`\bals\s+(?:ein\s+|eine\s+)?(?:\p{L}+-)?(?:Terminal|Interpreter|Shell|Konsole)\s+(?:fungier|agier|handel)`,
  // identity reassignment: "Okay. Now you are <Name>", "You are now TranslatorBot"
  reCs`(?:^|[.!?:]\s+)(?:(?:[Oo]k(?:ay)?|[Ss]o|[Aa]nd|[Ww]ell)[.,!]?\s+)?[Nn]ow,?\s+you\s+are\s+(?:a\s+|an\s+|the\s+)?\p{Lu}`,
  reCs`(?:^|[.!?:]\s+)(?:(?:[Oo]k(?:ay)?|[Ss]o|[Gg]ut)[.,!]?\s+)?(?:[Jj]etzt|[Nn]un|[Aa]b\s+sofort)\s+bist\s+du\s+(?:ein(?:e)?\s+|der\s+|die\s+|das\s+)?\p{Lu}`,
  reCs`\b[Yy]ou\s+are\s+now\s+(?:a\s+|an\s+)?\p{L}*(?:Bot|GPT|AI)\b`,
  re`\bfrom\s+now\s+(?:on\s*,?\s+)?(?:you(?:'re|\s+are|\s+will\s+be)\s+)?(?:known|called|referred\s+to)\s+as\b`,
];

/** "your prompt engineering tips" is about prompting, not about our prompt */
const NOT_ABOUT_PROMPTING = raw`(?![-\s]+(?:engineering|ideas?|tips|tricks|examples?|templates?|library|libraries|design|writing|generator|skills|for)\b)`;

const PROMPT_EXTRACTION: PatternRule[] = [
  re`\b(?:show|reveal|print|display|output|repeat|dump|leak|copy|recite|spell\s+out)\b[^.!?\n]{0,30}?\b(?:your|full|entire|complete|initial|original|hidden|secret)\s+(?:system\s+)?(?:prompts?(?:[-_ ]?texts?)?|instructions|system\s+message)\b${NOT_ABOUT_PROMPTING}`,
  re`\b(?:give|tell|share|send)\b[^.!?\n]{0,20}?\byour\s+(?:full\s+|entire\s+|complete\s+|initial\s+|original\s+|hidden\s+)?(?:system\s+prompt|prompts?(?:[-_ ]?texts?)?|system\s+message)\b${NOT_ABOUT_PROMPTING}`,
  re`\b(?:show|reveal|print|display|output|repeat|give|list|copy)\b[^.!?\n]{0,30}?\bprompt[-_ ]?texts?\b`,
  re`\b(?:show|reveal|print|display|output|repeat|dump|leak)\b[^.!?\n]{0,20}?\bsystem\s+(?:prompt|message)\b`,
  re`\b(?:what|which)\s+(?:are|were|is|was)\s+your\s+(?:\p{L}+\s+)?(?:instructions|system\s+prompt|prompt)\b(?!\s+(?:for|on|about|regarding|to|if|when)\b)${NOT_ABOUT_PROMPTING}`,
  re`\bwhat\s+(?:was|is|were)\s+written\s+(?:at\s+the\s+(?:beginning|start|top)|above)\b`,
  re`\b(?:repeat|print|output)\s+(?:the\s+)?(?:words|text|everything|all)\s+(?:above|before|preceding)\s+(?:starting|beginning|verbatim|word\s+for\s+word|including\s+(?:the|your))\b`,
  re`\b(?:what|which)\s+(?:are|were|is|was)\s+the\s+(?:\d+|first|last|two|three|previous)\s+(?:sentences?|lines?|words|paragraphs?)\s+(?:before|above|preceding)\b`,
  re`\binformation\s+(?:in|from)\s+(?:the|your)\s+(?:system\s+)?prompt\b`,
  re`\b(?:zeig\p{L}*|gib|geben\s+Sie|nenne|verrate|wiederhole|Vorzeigen|Kopie)\b[^.!?\n]{0,40}?(?:\bPrompt(?:-?Texte?s?)?\b(?!\s+(?:für|zum|zur|über)\b)|\bSystem-?prompt\b|\b(?:deine[nrs]?|Ihre[nrs]?)\s+(?:\p{L}+\s+)?(?:Anweisungen|Instruktionen)\b)`,
];

const DELIMITER: PatternRule[] = [
  re`<\|(?:im_start|im_end|system|endoftext)\|>|\[\/?INST\]|<<\/?SYS>>`,
  // a run of literal "\n" escapes pads the payload out of the visible context
  re`(?:\\\s?n\s*){10,}`,
  re`\b(?:human|user|system|assistant)\s*:\s*(?:human|user|system|assistant)\s*:`,
  // an escaped line break smuggling a fake label: "...2023? \n Instruction: blame it on X"
  re`\\n\s*(?:new\s+|additional\s+)?(?:instructions?|system|task)\s*:`,
];

/** Obfuscation by spacing: "S a y  t h a t ..." (at least 10 single letters). */
const ENCODED: PatternRule[] = [
  { ...re`(?<!\p{L})(?:\p{L} ){9,}\p{L}(?!\p{L})`, may: (text) => hasSpacedRunSteps(text) },
];

export const INJECTION_RULES: Record<InjectionFlag, PatternRule[]> = {
  'injection:override': OVERRIDE,
  'injection:jailbreak': JAILBREAK,
  'injection:prompt_extraction': PROMPT_EXTRACTION,
  'injection:encoded': ENCODED,
  'injection:delimiter': DELIMITER,
};

/** Sensitive-content keywords: phrases, not single words ("kill the process" is business text). */
export const CONTENT_RULES: Record<ContentFlag, PatternRule[]> = {
  'content:self_harm': [
    re`\b(?:kill(?:ing)?\s+myself|end(?:ing)?\s+my\s+(?:own\s+)?life|commit(?:ting)?\s+suicide|suicid(?:e|al)|self[-\s]?harm|cut(?:ting)?\s+myself|want\s+to\s+die|Selbstmord|Suizid|mich\s+(?:umbringen|töten|ritzen)|nicht\s+mehr\s+leben)\b`,
  ],
  'content:violence': [
    re`\b(?:kill|murder|stab|strangle|torture|behead|kidnap)\s+(?:him|her|them|you|someone|somebody|people|my\s+\p{L}+|a\s+(?:person|child|man|woman))\b`,
    re`\b(?:mass\s+shooting|massacre|ermorden|umbringen|erstechen|erschießen|foltern)\b`,
  ],
  'content:weapons': [
    re`\b(?:build|make|assemble|construct)\s+(?:a\s+|an\s+)?(?:pipe\s+)?(?:bomb|explosive|IED|molotov|silencer|suppressor)\b`,
    re`\b(?:pipe\s+bomb|nerve\s+agent|sarin|ricin|ghost\s+gun|untraceable\s+(?:gun|firearm)|3d[-\s]?printed\s+(?:gun|firearm)|Bombe\s+bauen|Sprengstoff\s+(?:herstellen|bauen))\b`,
  ],
  'content:malware': [
    re`\b(?:write|create|build|develop|code|make|program|deploy|spread|generate)\s+(?:me\s+)?(?:a\s+|an\s+|some\s+)?(?:\p{L}+\s+)?(?:ransomware|keylogger|malware|maleware|botnet|rootkit|reverse\s+shell|credential\s+stealer|info[-\s]?stealer|virus|worm|trojan|backdoor|zero[-\s]day\s+exploit)\b`,
    re`\b(?:schreib|erstell|programmier|bau|entwickl)\p{L}*\s+(?:\p{L}+\s+){0,3}?(?:Schadsoftware|Trojaner|Virus|Ransomware|Keylogger)\b`,
  ],
  'content:hate': [
    re`\b(?:(?:write|generate|create|produce|use|say)\s+(?:some\s+)?hate\s+speech|racial\s+slurs?|ethnic\s+cleansing|inferior\s+race|subhuman|untermensch\p{L}*|Volksverhetzung)\b`,
    re`\b(?:kill|exterminate|gas)\s+all\s+(?:the\s+)?(?:jews|muslims|christians|blacks|gays|immigrants|refugees)\b`,
  ],
};

/** Phrases a model uses when it recites its own configuration. */
export const LEAK_PHRASES = re`\b(?:my\s+(?:system\s+prompt|initial\s+instructions|original\s+instructions|instructions)\s+(?:are|is|were|say|read)|I\s+was\s+(?:instructed|told|programmed)\s+to|here\s+(?:is|are)\s+my\s+(?:system\s+prompt|instructions)|meine\s+(?:Anweisungen|Instruktionen)\s+(?:lauten|sind)|mein\s+System-?prompt\s+(?:lautet|ist))\b`;
