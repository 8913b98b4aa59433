import { useState } from "preact/hooks";
import { describe } from "../api/problem";
import { tell } from "../notice";
import { useSession } from "../session-context";

/** Adds someone to the workspace by their user id, email and name (an admin's action). Each
 * person finds their user id by hovering their own name at the top of the page. */
export function AddMember({ workspaceId }: { workspaceId: string }) {
  const { rest } = useSession();
  const [userId, setUserId] = useState("");
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");

  const add = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      const member = await rest.addMember(workspaceId, { user_id: userId.trim(), email: email.trim(), display_name: name.trim() });
      tell(`${member.display_name} is now a member`);
      setUserId("");
      setEmail("");
      setName("");
    } catch (error) {
      tell(describe(error), "error");
    }
  };

  return (
    <details class="add-member">
      <summary>Add a member</summary>
      <form class="inline" onSubmit={add}>
        <input required placeholder="User id (theirs: shown on their name)" value={userId} onInput={(e) => setUserId(e.currentTarget.value)} aria-label="User id" />
        <input required type="email" placeholder="Email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} aria-label="Email" />
        <input required placeholder="Name" value={name} onInput={(e) => setName(e.currentTarget.value)} aria-label="Name" />
        <button type="submit">Add</button>
      </form>
    </details>
  );
}
