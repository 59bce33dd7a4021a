// Package console is the helpline's staff console: a small web application
// in which staff sign in, pull the most urgent conversation waiting, read its
// history, answer (free text inside the 24-hour window, an approved template
// after it), leave notes, change priority, close the conversation or hand it
// back to the bot. With Config.Rights, a requests page lists what people
// asked for with MY DATA or DELETE, each with its one-month due date: staff
// prepare a copy there as a JSON file to check and deliver outside the chat
// (which completes the request), or extend a deadline once, with a reason.
// Both are audited.
//
// Personal details (the person's number and profile name) stay hidden until a
// staff member chooses to reveal them, and every reveal is audited. Sessions
// are signed cookies (HttpOnly, SameSite=Strict, Secure unless the console is
// served over plain HTTP on the loopback), every form carries a CSRF token,
// and sign-in attempts are rate-limited per login and per address.
package console
