package whatsapptest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	fieldArgRE = regexp.MustCompile(`\.([a-z_]+)\(([^)]*)\)`)
)

// fieldArgs parses Graph field expansion such as
// "analytics.start(1).end(2).granularity(DAY)" into its name and arguments.
func fieldArgs(field string) (string, map[string]string) {
	name, _, _ := strings.Cut(field, ".")
	args := map[string]string{}
	for _, m := range fieldArgRE.FindAllStringSubmatch(field, -1) {
		args[m[1]] = m[2]
	}
	return name, args
}

// countries maps a few calling codes to ISO countries for pricing points.
var countries = []struct{ prefix, cc string }{
	{"961", "LB"}, {"962", "JO"}, {"963", "SY"}, {"964", "IQ"}, {"250", "RW"}, {"20", "EG"}, {"90", "TR"},
	{"93", "AF"}, {"44", "GB"}, {"49", "DE"}, {"1", "US"},
}

func countryOf(contact string) string {
	for _, c := range countries {
		if strings.HasPrefix(contact, c.prefix) {
			return c.cc
		}
	}
	return "OTHER"
}

func period(t time.Time, granularity string) (time.Time, time.Time) {
	t = t.UTC()
	switch granularity {
	case "HALF_HOUR":
		s := t.Truncate(30 * time.Minute)
		return s, s.Add(30 * time.Minute)
	case "MONTH", "MONTHLY":
		s := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		return s, s.AddDate(0, 1, 0)
	}
	s := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return s, s.AddDate(0, 0, 1)
}

func (s *Server) templateCategory(name string) string {
	for _, t := range s.templates {
		if t.Name == name {
			return strings.ToUpper(t.Category)
		}
	}
	return "UTILITY"
}

// getAnalytics answers GET /{waba}?fields=analytics..., pricing_analytics...
// or conversation_analytics... from the messages the fake accepted; it
// reports whether the request was one of those.
func (s *Server) getAnalytics(w http.ResponseWriter, r *http.Request, id string) bool {
	name, args := fieldArgs(r.URL.Query().Get("fields"))
	switch name {
	case "analytics", "pricing_analytics", "conversation_analytics", "call_analytics":
	default:
		return false
	}
	start, err1 := strconv.ParseInt(args["start"], 10, 64)
	end, err2 := strconv.ParseInt(args["end"], 10, 64)
	g := args["granularity"]
	valid := map[string][]string{"analytics": {"HALF_HOUR", "DAY", "MONTH"}, "pricing_analytics": {"HALF_HOUR", "DAILY", "MONTHLY"}, "conversation_analytics": {"HALF_HOUR", "DAILY", "MONTHLY"}, "call_analytics": {"HALF_HOUR", "DAILY", "MONTHLY"}}
	if err1 != nil || err2 != nil || end <= start || !slices.Contains(valid[name], g) {
		writeError(w, *invalid("Field %s needs start, end (Unix seconds, end after start) and a granularity of %s.", name, strings.Join(valid[name], ", ")))
		return true
	}
	from, to := time.Unix(start, 0), time.Unix(end, 0)
	s.mu.Lock()
	sent := slices.Clone(s.sent)
	cats := map[string]string{}
	for _, m := range sent {
		if m.Template != "" {
			cats[m.Template] = s.templateCategory(m.Template)
		}
	}
	s.mu.Unlock()
	type key struct {
		start              time.Time
		country, cat, kind string
	}
	type agg struct{ sent, delivered int }
	sums := map[key]*agg{}
	var keys []key
	for _, m := range sent {
		if m.Time.Before(from) || !m.Time.Before(to) || m.Group {
			continue
		}
		b, _ := period(m.Time, g)
		k := key{start: b}
		if name == "pricing_analytics" {
			k.country = countryOf(normContact(m.To))
			if m.Template != "" {
				k.cat, k.kind = cats[m.Template], "REGULAR"
			} else {
				k.cat, k.kind = "SERVICE", "FREE_CUSTOMER_SERVICE"
			}
		}
		a := sums[k]
		if a == nil {
			a = &agg{}
			sums[k] = a
			keys = append(keys, k)
		}
		a.sent++
		if m.FailedCode == 0 {
			a.delivered++
		}
	}
	slices.SortStableFunc(keys, func(a, b key) int { return a.start.Compare(b.start) })
	phone := DefaultDisplayNumber
	switch name {
	case "analytics":
		pts := []obj{}
		for _, k := range keys {
			_, e := period(k.start, g)
			pts = append(pts, obj{{"start", k.start.Unix()}, {"end", e.Unix()}, {"sent", sums[k].sent}, {"delivered", sums[k].delivered}})
		}
		writeJSON(w, http.StatusOK, obj{{"analytics", obj{{"phone_numbers", []string{phone}}, {"granularity", g}, {"data_points", pts}}}, {"id", id}})
	case "pricing_analytics":
		pts := []obj{}
		for _, k := range keys {
			if sums[k].delivered == 0 {
				continue
			}
			_, e := period(k.start, g)
			pts = append(pts, obj{{"start", k.start.Unix()}, {"end", e.Unix()}, {"phone_number", phone}, {"country", k.country},
				{"pricing_type", k.kind}, {"pricing_category", k.cat}, {"volume", sums[k].delivered}, {"cost", 0}})
		}
		writeJSON(w, http.StatusOK, obj{{"pricing_analytics", obj{{"data", []obj{{{"data_points", pts}}}}}}, {"id", id}})
	case "call_analytics":
		// The fake places no calls.
		writeJSON(w, http.StatusOK, obj{{"call_analytics", obj{{"data", []obj{{{"data_points", []obj{}}}}}}}, {"id", id}})
	default:
		// Conversation-based pricing ended in July 2025: nothing new to count.
		writeJSON(w, http.StatusOK, obj{{"conversation_analytics", obj{{"data", []obj{{{"data_points", []obj{}}}}}}}, {"id", id}})
	}
	return true
}

func (s *Server) handleTemplateAnalytics(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, err1 := strconv.ParseInt(q.Get("start"), 10, 64)
	end, err2 := strconv.ParseInt(q.Get("end"), 10, 64)
	var ids []string
	err3 := json.Unmarshal([]byte(q.Get("template_ids")), &ids)
	if err1 != nil || err2 != nil || end <= start || err3 != nil || len(ids) == 0 || len(ids) > 10 || q.Get("granularity") != "DAILY" {
		writeError(w, *invalid("Params start, end, granularity (DAILY) and template_ids (1 to 10) are required."))
		return
	}
	from, to := time.Unix(start, 0), time.Unix(end, 0)
	s.mu.Lock()
	names := map[string]string{}
	for _, t := range s.templates {
		if slices.Contains(ids, t.ID) {
			names[t.ID] = t.Name
		}
	}
	sent := slices.Clone(s.sent)
	s.mu.Unlock()
	pts := []obj{}
	for _, id := range ids {
		name, ok := names[id]
		if !ok {
			continue
		}
		days := map[time.Time][2]int{}
		var order []time.Time
		for _, m := range sent {
			if m.Template != name || m.Time.Before(from) || !m.Time.Before(to) {
				continue
			}
			b, _ := period(m.Time, "DAY")
			c, seen := days[b]
			if !seen {
				order = append(order, b)
			}
			c[0]++
			if m.FailedCode == 0 {
				c[1]++
			}
			days[b] = c
		}
		for _, b := range order {
			pts = append(pts, obj{{"template_id", id}, {"start", b.Unix()}, {"end", b.AddDate(0, 0, 1).Unix()},
				{"sent", days[b][0]}, {"delivered", days[b][1]}, {"read", 0}, {"clicked", []obj{}}})
		}
	}
	writeJSON(w, http.StatusOK, obj{{"data", []obj{{{"granularity", "DAILY"}, {"product_type", "cloud_api"}, {"data_points", pts}}}},
		{"paging", obj{{"cursors", obj{{"before", ""}, {"after", ""}}}}}})
}
