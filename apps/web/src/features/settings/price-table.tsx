"use client";
import { useState, type FormEvent } from "react";
import { toFormErrors } from "~/lib/form-errors";
import { Field, FormError } from "~/ui/field";
import { QueryView } from "~/ui/states";
import { usePrices, useResetPrice, useSetPrice } from "./hooks";

/**
 * The model price table: what a metric costs when an agent reports tokens but no cost. Tower ships
 * list prices of common models; admins can set the project's own (a reported cost always wins).
 */
export function PriceTable({ projectId, canEdit }: { projectId: string; canEdit: boolean }) {
  const prices = usePrices(projectId);
  const setPrice = useSetPrice(projectId);
  const resetPrice = useResetPrice(projectId);
  const [model, setModel] = useState("");
  const [input, setInput] = useState("");
  const [output, setOutput] = useState("");
  const errors = toFormErrors(setPrice.error);

  function submit(event: FormEvent) {
    event.preventDefault();
    setPrice.mutate(
      { projectId, model, inputPerMTok: Number(input), outputPerMTok: Number(output) },
      {
        onSuccess: () => {
          setModel("");
          setInput("");
          setOutput("");
        },
      },
    );
  }

  return (
    <section className="card" aria-labelledby="prices-title">
      <h2 id="prices-title">Model prices</h2>
      <p className="muted">
        USD per million tokens, used when a report has tokens but no cost. A reported cost always wins.
      </p>
      {canEdit ? (
        <form className="inline-form" onSubmit={submit}>
          <FormError message={errors.form} />
          <Field label="Model" errors={errors.fields.model}>
            {(props) => (
              <input {...props} value={model} onChange={(e) => setModel(e.target.value)} placeholder="gpt-4o" />
            )}
          </Field>
          <Field label="Input $/M tokens" errors={errors.fields.inputPerMTok}>
            {(props) => (
              <input
                {...props}
                type="number"
                min="0"
                step="any"
                value={input}
                onChange={(e) => setInput(e.target.value)}
              />
            )}
          </Field>
          <Field label="Output $/M tokens" errors={errors.fields.outputPerMTok}>
            {(props) => (
              <input
                {...props}
                type="number"
                min="0"
                step="any"
                value={output}
                onChange={(e) => setOutput(e.target.value)}
              />
            )}
          </Field>
          <button type="submit" className="primary" disabled={setPrice.isPending}>
            Set price
          </button>
        </form>
      ) : null}
      <QueryView query={prices} loading="Loading prices…">
        {(list) => (
          <div className="table-wrap">
            <table aria-label="Model prices">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Input</th>
                  <th scope="col">Output</th>
                  <th scope="col">Source</th>
                  {canEdit ? <th scope="col" aria-label="Actions" /> : null}
                </tr>
              </thead>
              <tbody>
                {list.map((row) => (
                  <tr key={row.model}>
                    <td>{row.model}</td>
                    <td>${row.inputPerMTok}</td>
                    <td>${row.outputPerMTok}</td>
                    <td>
                      <span className="badge">{row.source === "project" ? "this project" : "default"}</span>
                    </td>
                    {canEdit ? (
                      <td>
                        {row.source === "project" ? (
                          <button
                            type="button"
                            className="danger-text"
                            disabled={resetPrice.isPending}
                            onClick={() => resetPrice.mutate({ projectId, model: row.model })}
                          >
                            Reset {row.model}
                          </button>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </section>
  );
}
