// Package console is the helpline's staff console: a small web application
// in which staff sign in, pull the most urgent conversation waiting, read its
// history, answer (free text inside the 24-hour window, an approved template
// after it), leave notes, change priority, close the conversation or hand it
// back to the bot.
//
// Personal details (the person's number and profile name) stay hidden until a
// staff member chooses to reveal them, and every reveal is audited. Sessions
// are signed cookies (HttpOnly, SameSite=Strict, Secure unless the console is
// served over plain HTTP on the loopback), every form carries a CSRF token,
// and sign-in attempts are rate-limited per login and per address.
package console
