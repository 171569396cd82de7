/**
 * Toasts of the panel (AdminJS's redux `notices`). A success drops the error toasts still on screen
 * (e.g. "wrong OTP" before the right one): an operator must not read a stale failure next to a success.
 */
import { useDispatch, useSelector } from 'react-redux';

interface NoticeState {
  id: string;
  type?: string;
}

export function useDropErrorNotices(): () => void {
  const dispatch = useDispatch();
  const notices = useSelector((s: { notices?: NoticeState[] }) => s.notices ?? []);
  return () => {
    for (const n of notices) if (n.type === 'error') dispatch({ type: 'DROP_NOTICE', data: { noticeId: n.id } });
  };
}
