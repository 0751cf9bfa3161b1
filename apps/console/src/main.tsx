import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get } from './api';
import { roleOfKey } from './role';
import { Loading, Settings } from './components';
import type { Role } from './models';
import { forgetKey, rememberKey, signedInKey } from './session';
import type { ResortSettings } from './time';
import { SignIn } from './screens/sign-in';
import { Occupancy } from './screens/occupancy';
import { Exposure } from './screens/exposure';
import { Restrictions } from './screens/restrictions';
import { OperationsBookings } from './screens/operations-bookings';
import { Agencies } from './screens/agencies';
import { Flights } from './screens/flights';
import { Availability } from './screens/availability';
import { AgentBookings } from './screens/agent-bookings';
import { Inbox } from './screens/inbox';
import './styles.css';

interface Screen {
  id: string;
  label: string;
  render: () => preact.JSX.Element;
}

const SCREENS: Record<Role, Screen[]> = {
  operations: [
    { id: 'occupancy', label: 'Occupancy', render: () => <Occupancy /> },
    { id: 'exposure', label: 'Exposure', render: () => <Exposure /> },
    { id: 'restrictions', label: 'Restrictions', render: () => <Restrictions /> },
    { id: 'bookings', label: 'Bookings', render: () => <OperationsBookings /> },
    { id: 'agencies', label: 'Agencies', render: () => <Agencies /> },
    { id: 'flights', label: 'Flights', render: () => <Flights /> },
  ],
  agent: [
    { id: 'availability', label: 'Availability', render: () => <Availability /> },
    { id: 'bookings', label: 'Bookings', render: () => <AgentBookings /> },
    { id: 'inbox', label: 'Inbox', render: () => <Inbox /> },
  ],
};

function currentScreenId(): string {
  return decodeURIComponent(location.hash.replace(/^#\/?/, ''));
}

function App() {
  const [settings, setSettings] = useState<ResortSettings | null>(null);
  const [role, setRole] = useState<Role | null>(null);
  const [checking, setChecking] = useState(() => signedInKey() !== null);
  const [screenId, setScreenId] = useState(currentScreenId());

  useEffect(() => {
    get<ResortSettings>('/console/settings.json').then(setSettings, () => setSettings({ timeZone: 'Asia/Pyongyang', homeCountry: 'KP' }));
    const onHash = () => setScreenId(currentScreenId());
    addEventListener('hashchange', onHash);
    // A reload keeps the tab's key: find its role again.
    const key = signedInKey();
    if (key) {
      roleOfKey(key).then(
        (found) => {
          setRole(found);
          setChecking(false);
        },
        () => {
          forgetKey();
          setChecking(false);
        },
      );
    }
    return () => removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    document.title = role ? `${screenOf(role, screenId).label} — Kalma console` : 'Sign in — Kalma console';
  }, [role, screenId]);

  if (!settings || checking) return <Loading />;

  if (!role) {
    return (
      <Settings.Provider value={settings}>
        <SignIn
          onSignedIn={(key, found) => {
            rememberKey(key);
            setRole(found);
          }}
        />
      </Settings.Provider>
    );
  }

  const screen = screenOf(role, screenId);
  const signOut = () => {
    forgetKey();
    setRole(null);
    history.replaceState(null, '', location.pathname);
    setScreenId('');
  };
  return (
    <Settings.Provider value={settings}>
      <header class="top">
        <span class="brand">Kalma console</span>
        <span class="role">{role === 'operations' ? 'Operations' : 'Agent'}</span>
        <nav aria-label="Screens">
          <ul>
            {SCREENS[role].map((item) => (
              <li key={item.id}>
                <a href={`#${item.id}`} aria-current={item.id === screen.id ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="zone">Times in {settings.timeZone}</span>
        <button type="button" class="secondary" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" key={`${role}-${screen.id}`}>
        <h1>{screen.label}</h1>
        {screen.render()}
      </main>
    </Settings.Provider>
  );
}

function screenOf(role: Role, id: string): Screen {
  return SCREENS[role].find((screen) => screen.id === id) ?? SCREENS[role][0];
}

render(<App />, document.getElementById('app')!);
