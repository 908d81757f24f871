"use client";

/** One choice of a select: its value and what it reads as. */
export interface FilterOption<V extends string> {
  value: V;
  label: string;
}

/**
 * A labelled filter `<select>` with an "any" choice first (`anyLabel`, value ""), when given. A value
 * not among the options (from a shared link, or gone since) stays selectable, shown as itself.
 */
export function FilterSelect<V extends string>({
  id,
  label,
  value,
  options,
  anyLabel,
  onChange,
}: {
  id: string;
  label: string;
  value: V | "";
  options: readonly FilterOption<V>[];
  anyLabel?: string;
  onChange: (value: V | "") => void;
}) {
  const unknown = value !== "" && !options.some((option) => option.value === value);
  return (
    <div className="filter">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as V | "")}>
        {anyLabel !== undefined ? <option value="">{anyLabel}</option> : null}
        {unknown ? <option value={value}>{value}</option> : null}
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Options whose label is their value. */
export const plainOptions = <V extends string>(values: readonly V[]): FilterOption<V>[] =>
  values.map((value) => ({ value, label: value }));
