/** A party being typed: one row per guest (name, nationality, optional date of birth). */
export interface GuestDraft {
  fullName: string;
  nationality: string;
  dateOfBirth: string;
}

export const emptyGuest = (): GuestDraft => ({ fullName: '', nationality: '', dateOfBirth: '' });

export function guestsBody(guests: GuestDraft[]): { fullName: string; nationality: string; dateOfBirth?: string }[] {
  return guests.map((guest) => ({
    fullName: guest.fullName.trim(),
    nationality: guest.nationality.trim().toUpperCase(),
    ...(guest.dateOfBirth ? { dateOfBirth: guest.dateOfBirth } : {}),
  }));
}

export function GuestsEditor({
  idPrefix,
  guests,
  onChange,
}: {
  idPrefix: string;
  guests: GuestDraft[];
  onChange: (guests: GuestDraft[]) => void;
}) {
  const update = (index: number, field: keyof GuestDraft, value: string) =>
    onChange(guests.map((guest, i) => (i === index ? { ...guest, [field]: value } : guest)));
  return (
    <fieldset class="guests">
      <legend>Guests</legend>
      {guests.map((guest, index) => (
        <div class="guest-row" key={index}>
          <span class="guest-number">Guest {index + 1}</span>
          <label for={`${idPrefix}-name-${index}`}>Full name</label>
          <input
            id={`${idPrefix}-name-${index}`}
            required
            autocomplete="off"
            value={guest.fullName}
            onInput={(event) => update(index, 'fullName', event.currentTarget.value)}
          />
          <label for={`${idPrefix}-nationality-${index}`}>Nationality</label>
          <input
            id={`${idPrefix}-nationality-${index}`}
            required
            size={3}
            maxLength={2}
            autocomplete="off"
            value={guest.nationality}
            onInput={(event) => update(index, 'nationality', event.currentTarget.value)}
          />
          <label for={`${idPrefix}-birth-${index}`}>Date of birth (optional)</label>
          <input
            id={`${idPrefix}-birth-${index}`}
            type="date"
            value={guest.dateOfBirth}
            onInput={(event) => update(index, 'dateOfBirth', event.currentTarget.value)}
          />
          {guests.length > 1 ? (
            <button type="button" class="secondary" onClick={() => onChange(guests.filter((_, i) => i !== index))}>
              Remove guest {index + 1}
            </button>
          ) : null}
        </div>
      ))}
      <button type="button" class="secondary" onClick={() => onChange([...guests, emptyGuest()])}>
        Add guest
      </button>
    </fieldset>
  );
}
