package dev.tokenkeeper.daemon.signin;

/** How one sign-in through the browser ended. */
sealed interface SignInOutcome {

    /**
     * The site signed the user in.
     *
     * @param cookieFile every cookie the browser held for the site, as a cookie-extension JSON export
     */
    record SignedIn(String cookieFile) implements SignInOutcome {
        /** @return never the cookies */
        @Override
        public String toString() {
            return "SignedIn[cookies hidden]";
        }
    }

    /**
     * The site wants a human (a captcha, a code) or showed a page that is not the expected one.
     *
     * @param reason one line: what the browser saw and what to do
     */
    record HumanNeeded(String reason) implements SignInOutcome {
    }
}
