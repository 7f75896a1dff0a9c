/**
 * Fiction versus the real world for threats. A listed threat ("I know where you live") is critical only
 * with a real-world anchor in the same text (IRL, in real life, real name, address, school, IP,
 * parents, the player, contact details); addressed to a character of the fiction (hero, traveller,
 * the cottage by the mill) it is violence for the rating policy; with neither it is flagged for review.
 * @module
 */
import type { NormalizedText } from './normalize.js';
import { keptMatches, TermMatcher } from './term-matcher.js';
import type { Finding } from './types.js';

const ANCHOR = 1;
const FICTION = 2;
/** An anchor that counts even inside a threat phrase. */
const ALWAYS = 4;

/** Threats that only exist in the real world: they anchor even inside the threat phrase itself. */
const REAL_WORLD_ONLY: readonly string[] = ['dox*', 'doxx*', 'swat you', 'swatting', 'swatted'];

/** Real-world anchors, per language (matched in any text: they are harmless alone). */
// biome-ignore format: data kept compact, one wrapped list per language
const ANCHORS: readonly string[] = [
  // en
  'irl', 'in real life', 'real life', 'real world', 'real name', 'your address', 'home address',
  'your school', 'your ip', 'ip address', 'your parents', 'your real family', 'your family at home',
  'log off', 'logged off', 'outside the game', 'outside this game', 'your computer', 'your screen',
  'your phone number', 'your email', 'your account', 'player', 'gamer', 'your username', 'discord',
  'stop playing', 'uninstall', 'your street', 'your house number', 'your neighbourhood',
  'your neighborhood', 'your workplace',
  // es
  'en la vida real', 'vida real', 'tu dirección', 'tu colegio', 'tu escuela', 'tu ip', 'tu nombre real',
  'tus padres', 'fuera del juego', 'jugador',
  // de
  'im echten leben', 'im realen leben', 'in echt', 'deine adresse', 'deine schule', 'deine ip',
  'deinen echten namen', 'echter name', 'deine eltern', 'außerhalb des spiels', 'spieler',
  // fr
  'dans la vraie vie', 'vraie vie', 'ton adresse', 'ton école', 'ton ip', 'ton vrai nom', 'tes parents',
  'hors du jeu', 'joueur',
  // pt
  'na vida real', 'seu endereço', 'sua escola', 'seu ip', 'seu nome real', 'seus pais', 'fora do jogo',
  'jogador',
  // it
  'nella vita reale', 'vita reale', 'il tuo indirizzo', 'la tua scuola', 'il tuo ip', 'il tuo vero nome',
  'i tuoi genitori', 'fuori dal gioco', 'giocatore',
  // ru
  'в реальной жизни', 'в реале', 'твой адрес', 'твою школу', 'твой ip', 'настоящее имя', 'твои родители',
  'вне игры', 'игрок*',
  // pl
  'w prawdziwym życiu', 'w realu', 'twój adres', 'twoją szkołę', 'twoje ip', 'prawdziwe imię',
  'twoi rodzice', 'poza grą', 'gracz*',
  // tr
  'gerçek hayatta', 'adresini', 'okulunu', 'ip adresini', 'gerçek adını', 'aileni', 'oyun dışında',
  'oyuncu*',
  // nl
  'in het echt', 'in het echte leven', 'je adres', 'jouw adres', 'je school', 'je ip', 'je echte naam',
  'je ouders', 'buiten het spel', 'speler',
  // ja, ko, zh (no word boundaries)
  '*リアルで*', '*現実で*', '*現実世界*', '*本名*', '*住所*', '*学校*', '*ipアドレス*', '*両親*', '*ゲームの外*', '*プレイヤー*', '*현실에서*',
  '*실제로*', '*주소*', '*학교*', '*아이피*', '*본명*', '*부모님*', '*게임 밖*', '*플레이어*', '*现实中*', '*现实生活*', '*真名*', '*地址*',
  '*学校*', '*ip地址*', '*你父母*', '*游戏外*', '*玩家*',
];

/** Characters and places of the fiction (vocatives, in-world nouns), per language. */
// biome-ignore format: data kept compact, one wrapped list per language
const FICTION_MARKERS: readonly string[] = [
  // en
  'hero', 'heroes', 'adventurer', 'traveller', 'traveler', 'stranger', 'knave', 'peasant', 'mortal',
  'wizard', 'witch', 'knight', 'paladin', 'elf', 'dwarf', 'orc', 'outlander', 'warrior', 'champion',
  'mercenary', 'thief', 'rogue', 'captain', 'commander', 'detective', 'pilot', 'cadet', 'starship',
  'colony', 'cottage', 'mill', 'castle', 'village', 'kingdom', 'realm', 'tavern', 'guild', 'dungeon',
  'my lord', 'my lady', 'sorcerer', 'necromancer', 'dragon', 'sheriff', 'gumshoe', 'space station',
  'hunter', 'little one', 'farm', 'manor', 'hut', 'tower', 'lair', 'outpost', 'whelp', 'crew', 'spacer',
  'marshal', 'inspector',
  // es
  'héroe', 'aventurero', 'forastero', 'viajero', 'caballero', 'mortal', 'bruja', 'mago', 'aldea',
  'castillo', 'molino', 'reino', 'taberna', 'capitán', 'detective', 'espada', 'dragón', 'granja',
  // de
  'held', 'abenteurer', 'fremder', 'wanderer', 'ritter', 'sterblicher', 'hexe', 'zauberer', 'dorf', 'burg',
  'mühle', 'königreich', 'taverne', 'kapitän', 'detektiv', 'schwert', 'drache', 'hütte',
  // fr
  'héros', 'aventurier', 'étranger', 'voyageur', 'chevalier', 'mortel', 'sorcière', 'mage', 'château',
  'moulin', 'royaume', 'taverne', 'capitaine', 'inspecteur', 'épée', 'chaumière',
  // pt
  'herói', 'aventureiro', 'forasteiro', 'viajante', 'cavaleiro', 'bruxa', 'aldeia', 'castelo', 'moinho',
  'taverna', 'capitão', 'detetive', 'dragão', 'cabana',
  // it
  'eroe', 'avventuriero', 'straniero', 'viandante', 'cavaliere', 'mortale', 'strega', 'villaggio',
  'castello', 'mulino', 'regno', 'capitano', 'spada', 'drago', 'capanna',
  // ru
  'герой', 'путник', 'чужак', 'странник', 'рыцарь', 'смертный', 'ведьма', 'маг', 'деревн*', 'замок',
  'мельниц*', 'королевств*', 'таверн*', 'капитан', 'детектив', 'меч', 'дракон',
  // pl
  'bohater*', 'podróżniku', 'wędrowcze', 'nieznajomy', 'rycerz*', 'śmiertelniku', 'wiedźm*', 'wioska',
  'wiosce', 'zamek', 'młyn*', 'królestw*', 'karczm*', 'kapitanie', 'detektywie', 'smok*',
  // tr
  'kahraman', 'maceracı', 'yabancı', 'yolcu', 'şövalye', 'ölümlü', 'cadı', 'büyücü', 'köy*', 'kale*',
  'değirmen*', 'krallık', 'kaptan', 'dedektif', 'kılıç', 'ejderha',
  // nl
  'avonturier', 'vreemdeling', 'reiziger', 'ridder', 'sterveling', 'heks', 'tovenaar', 'dorp', 'kasteel',
  'molen', 'koninkrijk', 'herberg', 'kapitein', 'rechercheur', 'zwaard', 'draak',
  // ja, ko, zh
  '*勇者*', '*冒険者*', '*旅人*', '*よそ者*', '*騎士*', '*魔女*', '*魔法使い*', '*村*', '*城*', '*水車*', '*王国*', '*酒場*', '*船長*',
  '*探偵*', '*剣*', '*ドラゴン*', '*小僧*', '*용사*', '*모험가*', '*여행자*', '*이방인*', '*기사*', '*마녀*', '*마법사*', '*마을*',
  '*방앗간*', '*왕국*', '*선술집*', '*선장*', '*탐정*', '*드래곤*', '*英雄*', '*冒险者*', '*陌生人*', '*骑士*', '*凡人*', '*女巫*',
  '*法师*', '*村子*', '*城堡*', '*磨坊*', '*酒馆*', '*船长*', '*侦探*', '*龙*',
];

let markers: TermMatcher<number> | undefined;

/** The compiled matcher (compiled once per process). */
export function markerMatcher(): TermMatcher<number> {
  markers ??= new TermMatcher([
    ...ANCHORS.map((term) => ({ term, data: ANCHOR })),
    ...REAL_WORLD_ONLY.map((term) => ({ term, data: ALWAYS })),
    ...FICTION_MARKERS.map((term) => ({ term, data: FICTION })),
  ]);
  return markers;
}

/**
 * Real-world anchors and fiction markers in `nt`: bit 2 when a fiction marker is present, bit 1 when
 * an anchor is present outside every threat finding of `out[from…]` (a threat phrase such as "I know
 * your address" does not anchor itself).
 */
export function threatContext(nt: NormalizedText, out: readonly Finding[], from: number): number {
  const m = markerMatcher();
  const n = m.scanKept(nt);
  const { a, b, p } = keptMatches();
  let bits = 0;
  for (let k = 0; k < n; k++) {
    const kind = m.dataOf(p[k]!);
    if (kind !== ANCHOR) {
      bits |= kind === ALWAYS ? ANCHOR : FICTION;
      continue;
    }
    const start = nt.starts[a[k]!]!;
    const end = nt.ends[b[k]! - 1]!;
    let inside = false;
    for (let i = from; i < out.length && !inside; i++) {
      const f = out[i]!;
      inside = f.category === 'threat' && f.span !== undefined && start >= f.span.start && end <= f.span.end;
    }
    if (!inside) bits |= ANCHOR;
  }
  return bits;
}

/**
 * Rewrites the threat findings `out[from…]` by their context: critical with a real-world anchor
 * (`anchored`: an anchor phrase or personal data in the text); violence (medium) inside the fiction;
 * otherwise a `flag` for human review.
 */
export function classifyThreats(out: Finding[], from: number, bits: number, anchored: boolean): void {
  if (anchored || bits & ANCHOR) return;
  for (let i = from; i < out.length; i++) {
    const f = out[i]!;
    if (f.category !== 'threat') continue;
    out[i] =
      bits & FICTION
        ? {
            ...f,
            category: 'violence',
            severity: 'medium',
            message: 'Threat addressed to a character of the fiction (rated as violence)',
          }
        : {
            ...f,
            severity: 'low',
            action: 'flag',
            review: true,
            message: 'Possible real-world threat without a real-world anchor: needs review',
          };
  }
}
