// A cron expression in words for the task list ("every day at 09:00"). Only the common shapes are
// put in words; anything else is shown as the expression itself. The server (croner) is the judge of
// what an expression means: the next fire times shown beside it come from there, not from here.

const NICKNAMES: Record<string, string> = {
  "@yearly": "every year on 1 January at 00:00",
  "@annually": "every year on 1 January at 00:00",
  "@monthly": "on the 1st of every month at 00:00",
  "@weekly": "every Sunday at 00:00",
  "@daily": "every day at 00:00",
  "@midnight": "every day at 00:00",
  "@hourly": "every hour, on the hour",
};

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const isNumber = (field: string) => /^\d+$/.test(field);
const pad = (n: string) => n.padStart(2, "0");

function dayName(field: string): string | null {
  const upper = field.toUpperCase();
  const index = isNumber(field) ? Number(field) : DAY_NAMES.indexOf(upper);
  return index >= 0 && index <= 7 ? DAYS[index]! : null;
}

/** "Monday", "Monday and Friday", "weekdays"; null for what is not a plain list of days. */
function daysText(field: string): string | null {
  const upper = field.toUpperCase();
  if (upper === "1-5" || upper === "MON-FRI") return "weekdays";
  if (upper === "0,6" || upper === "6,0" || upper === "SAT,SUN" || upper === "SUN,SAT") return "weekends";
  const names = field.split(",").map(dayName);
  if (names.some((name) => name === null)) return null;
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

function ordinal(n: number): string {
  const suffix =
    n % 10 === 1 && n !== 11 ? "st" : n % 10 === 2 && n !== 12 ? "nd" : n % 10 === 3 && n !== 13 ? "rd" : "th";
  return `${n}${suffix}`;
}

/** The expression in words, or null when it is not one of the common shapes. */
export function cronInWords(cron: string): string | null {
  const text = cron.trim();
  if (text.startsWith("@")) return NICKNAMES[text.toLowerCase()] ?? null;
  let fields = text.split(/\s+/);
  if (fields.length === 6) {
    if (fields[0] !== "0") return null; // seconds: only "at second 0" reads like the 5-field form
    fields = fields.slice(1);
  }
  if (fields.length !== 5) return null;
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  if (month !== "*") return null;
  const everyDay = dom === "*" && dow === "*";

  if (everyDay && hour === "*") {
    if (minute === "*") return "every minute";
    const step = /^\*\/(\d+)$/.exec(minute);
    if (step) return step[1] === "1" ? "every minute" : `every ${step[1]} minutes`;
    if (isNumber(minute)) return minute === "0" ? "every hour, on the hour" : `every hour at :${pad(minute)}`;
    return null;
  }
  if (!isNumber(minute)) return null;
  const hourStep = /^\*\/(\d+)$/.exec(hour);
  if (everyDay && hourStep) return `every ${hourStep[1]} hours at :${pad(minute)}`;
  if (!isNumber(hour)) return null;
  const time = `${pad(hour)}:${pad(minute)}`;
  if (everyDay) return `every day at ${time}`;
  if (dom === "*") {
    const days = daysText(dow);
    return days ? `${days === "weekdays" || days === "weekends" ? "on" : "every"} ${days} at ${time}` : null;
  }
  if (dow === "*" && isNumber(dom)) return `on the ${ordinal(Number(dom))} of every month at ${time}`;
  return null;
}
