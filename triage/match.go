package triage

import "slices"

// automaton is an Aho-Corasick matcher over the bytes of textnorm keys: it
// finds every entry occurring in a message in one pass, however many
// entries there are. The root has a dense transition table (most bytes of a
// message fall back to it); other states keep their few edges sorted.
type automaton struct {
	root     [256]int32 // root transitions; 0 = stay at the root
	class    [256]uint8 // byte → class; 0 for bytes in no key
	classes  int        // number of classes, counting 0
	dense    []int32    // state → row in table, or -1 for a sparse state
	table    []int32    // rows of resolved transitions (failures followed) per class
	report   []int32    // state → first state with output on its suffix chain, or -1
	edgeLo   []int32    // state → first edge index
	edgeHi   []int32    // state → one past the last edge
	edgeByte []byte
	edgeNext []int32
	fail     []int32
	dict     []int32 // state → nearest state on the failure chain with output, or -1
	outLo    []int32 // state → first output index
	outHi    []int32
	out      []int32 // rule ids
	depth    []int32 // state → length of its string in bytes
}

func buildAutomaton(keys []string, ids []int32) automaton {
	type node struct {
		next  map[byte]int32
		out   []int32
		depth int32
	}
	nodes := []node{{next: map[byte]int32{}}}
	for i, k := range keys {
		s := int32(0)
		for j := 0; j < len(k); j++ {
			c := k[j]
			n, ok := nodes[s].next[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, node{next: map[byte]int32{}, depth: nodes[s].depth + 1})
				nodes[s].next[c] = n
			}
			s = n
		}
		nodes[s].out = append(nodes[s].out, ids[i])
	}
	n := len(nodes)
	a := automaton{
		edgeLo: make([]int32, n), edgeHi: make([]int32, n),
		fail: make([]int32, n), dict: make([]int32, n),
		outLo: make([]int32, n), outHi: make([]int32, n),
		depth: make([]int32, n),
	}
	for s := range nodes {
		a.depth[s] = nodes[s].depth
		cs := make([]byte, 0, len(nodes[s].next))
		for c := range nodes[s].next {
			cs = append(cs, c)
		}
		slices.Sort(cs)
		a.edgeLo[s] = int32(len(a.edgeByte))
		for _, c := range cs {
			a.edgeByte = append(a.edgeByte, c)
			a.edgeNext = append(a.edgeNext, nodes[s].next[c])
		}
		a.edgeHi[s] = int32(len(a.edgeByte))
		a.outLo[s] = int32(len(a.out))
		a.out = append(a.out, nodes[s].out...)
		a.outHi[s] = int32(len(a.out))
	}
	for c, nx := range nodes[0].next {
		a.root[c] = nx
	}
	// Breadth-first: failure links point to the longest proper suffix that
	// is also a prefix of some key.
	queue := make([]int32, 0, n)
	a.dict[0] = -1
	for _, nx := range a.edgeNext[a.edgeLo[0]:a.edgeHi[0]] {
		a.fail[nx] = 0
		a.dict[nx] = -1
		queue = append(queue, nx)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for e := a.edgeLo[s]; e < a.edgeHi[s]; e++ {
			c, nx := a.edgeByte[e], a.edgeNext[e]
			f := a.fail[s]
			for {
				if t := a.step(f, c); t >= 0 {
					a.fail[nx] = t
					break
				}
				if f == 0 {
					a.fail[nx] = 0
					break
				}
				f = a.fail[f]
			}
			if ff := a.fail[nx]; a.outHi[ff] > a.outLo[ff] {
				a.dict[nx] = ff
			} else {
				a.dict[nx] = a.dict[ff]
			}
			queue = append(queue, nx)
		}
	}
	a.densify()
	return a
}

// denseFanout is the number of edges from which a state gets a full row of
// resolved transitions: busy states (the root, the first letters of many
// entries) then cost one lookup per byte, with no failure links to follow.
const denseFanout = 4

// densify gives busy states full rows of transitions, with failures
// resolved, over classes of the bytes that occur in keys.
func (a *automaton) densify() {
	n := len(a.fail)
	for _, b := range a.edgeByte {
		a.class[b] = 1
	}
	a.classes = 1
	for b := range a.class {
		if a.class[b] != 0 {
			a.class[b] = uint8(a.classes)
			a.classes++
		}
	}
	a.dense = make([]int32, n)
	rows := 0
	for s := range n {
		a.dense[s] = -1
		if s == 0 || a.edgeHi[s]-a.edgeLo[s] >= denseFanout {
			a.dense[s] = int32(rows)
			rows++
		}
	}
	a.table = make([]int32, rows*a.classes)
	resolve := func(s int32, c byte) int32 {
		for {
			if t := a.step(s, c); t >= 0 {
				return t
			}
			s = a.fail[s]
		}
	}
	for s := range n {
		row := a.dense[s]
		if row < 0 {
			continue
		}
		for b := range 256 {
			if c := a.class[b]; c != 0 {
				a.table[int(row)*a.classes+int(c)] = resolve(int32(s), byte(b))
			}
		}
	}
	a.report = make([]int32, n)
	for s := range n {
		if a.outHi[s] > a.outLo[s] {
			a.report[s] = int32(s)
		} else {
			a.report[s] = a.dict[s]
		}
	}
	a.report[0] = -1
}

// step returns the state reached from s on c, or -1 when s has no such edge.
// From the root it never fails: missing edges stay at the root.
func (a *automaton) step(s int32, c byte) int32 {
	if s == 0 {
		return a.root[c]
	}
	lo, hi := a.edgeLo[s], a.edgeHi[s]
	for e := lo; e < hi; e++ {
		switch b := a.edgeByte[e]; {
		case b == c:
			return a.edgeNext[e]
		case b > c:
			return -1
		}
	}
	return -1
}

// scan calls found for every occurrence of every key in text, with the
// byte offsets [start, end) of the occurrence.
func (a *automaton) scan(text []byte, found func(id int32, start, end int)) {
	if len(a.fail) <= 1 {
		return
	}
	s := int32(0)
	for i := 0; i < len(text); i++ {
		b := text[i]
		c := a.class[b]
		if c == 0 {
			// No key holds this byte: no match runs through it.
			s = 0
			continue
		}
		for {
			if row := a.dense[s]; row >= 0 {
				s = a.table[int(row)*a.classes+int(c)]
				break
			}
			if t := a.step(s, b); t >= 0 {
				s = t
				break
			}
			s = a.fail[s]
		}
		for o := a.report[s]; o > 0; o = a.dict[o] {
			for _, id := range a.out[a.outLo[o]:a.outHi[o]] {
				found(id, i+1-int(a.depth[o]), i+1)
			}
		}
	}
}
