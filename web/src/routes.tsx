import { lazy } from 'react';
import { Navigate, createBrowserRouter } from 'react-router';
import { NotFoundPage } from './pages/NotFoundPage';
import { SignInPage } from './pages/auth/SignInPage';
import { SignUpPage } from './pages/auth/SignUpPage';
import { DashboardPage } from './pages/dashboard/DashboardPage';
import { DashboardRedirect } from './pages/dashboard/DashboardRedirect';
import { SettingsPage } from './pages/settings/SettingsPage';
import { ProfileTeamPage } from './pages/settings/ProfileTeamPage';
import { ApiAccessPage } from './pages/api-access/ApiAccessPage';
import { currentPath, signInPath } from './session/return-path';
import { onSessionExpired } from './session/session-expired';
import { AppLayout } from './app/AppLayout';
import { TeamRoute } from './app/TeamRoute';

// Pages most people open less often load on demand, keeping the first load small.
const KeyPage = lazy(() => import('./pages/api-access/KeyPage'));
const ActivityPage = lazy(() => import('./pages/activity/ActivityPage'));
const VerifyEmailPage = lazy(() => import('./pages/auth/VerifyEmailPage'));

const API_ACCESS = 'settings/profile-team/api-access';

export const router = createBrowserRouter([
  { path: '/', element: <Navigate to="/dashboard" replace /> },
  { path: '/sign-in', element: <SignInPage /> },
  { path: '/sign-up', element: <SignUpPage /> },
  { path: '/verify-email', element: <VerifyEmailPage /> },
  {
    element: <AppLayout />,
    children: [
      { path: '/dashboard', element: <DashboardRedirect /> },
      {
        path: '/teams/:teamId',
        element: <TeamRoute />,
        children: [
          { index: true, element: <Navigate to="dashboard" replace /> },
          { path: 'dashboard', element: <DashboardPage /> },
          { path: 'settings', element: <SettingsPage /> },
          { path: 'settings/profile-team', element: <ProfileTeamPage /> },
          { path: API_ACCESS, element: <ApiAccessPage /> },
          { path: `${API_ACCESS}/:keyId`, element: <KeyPage /> },
          { path: 'activity', element: <ActivityPage /> },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
  { path: '*', element: <NotFoundPage /> },
]);

// A session that ends (expired, signed out elsewhere) sends the person to sign in, and back here after.
onSessionExpired(() => {
  if (window.location.pathname === '/sign-in') return;
  void router.navigate(signInPath(currentPath()), { replace: true });
});
