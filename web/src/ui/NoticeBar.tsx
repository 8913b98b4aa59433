import { dismiss, notice } from "../notice";
import { useObservable } from "../store";

/** The last message for the person: an error's title, a reload after a lost race, a revoke. */
export function NoticeBar() {
  const current = useObservable(notice);
  if (!current) return null;
  return (
    <div class={`notice notice-${current.tone}`} data-testid="notice" role={current.tone === "error" ? "alert" : "status"}>
      <span>{current.text}</span>
      <button type="button" class="link" onClick={dismiss} aria-label="Dismiss the message">
        ×
      </button>
    </div>
  );
}
