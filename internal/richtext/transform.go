package richtext

import (
	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// postTransformer rewrites the parsed tree into what a post may contain. It first
// walks the whole tree to collect what to change, then changes it: goldmark's walk
// does not survive replacing the node it is visiting.
type postTransformer struct{}

func (postTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	source := reader.Source()
	var c collector
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		return c.visit(n, entering, source), nil
	})
	if st, ok := pc.Get(linkStateKey).(*linkState); ok {
		for _, t := range c.texts {
			st.linkText(t, source)
		}
	}
	for _, n := range c.autolinks {
		autoLinkToText(n.(*ast.AutoLink), source)
	}
	for _, n := range c.images {
		imageToLink(n.(*ast.Image))
	}
	for _, n := range c.raws {
		rawToText(n.(*ast.RawHTML))
	}
	for _, n := range c.blocks {
		htmlBlockToParagraph(n.(*ast.HTMLBlock), source)
	}
	for _, n := range c.headings {
		headingToBold(n.(*ast.Heading))
	}
	for _, n := range c.tooDeep {
		if n.Kind() == ast.KindList {
			for li := n.FirstChild(); li != nil; {
				next := li.NextSibling()
				unwrap(li)
				li = next
			}
		}
		unwrap(n)
	}
}

// collector gathers, in document order, the nodes postTransformer changes.
type collector struct {
	texts                                     []*ast.Text // may hold mentions and tags
	autolinks, images, raws, blocks, headings []ast.Node
	tooDeep                                   []ast.Node // nested deeper than maxNesting
	inLink, nesting                           int
}

func (c *collector) visit(n ast.Node, entering bool, source []byte) ast.WalkStatus {
	switch n.Kind() {
	case ast.KindText:
		if t := n.(*ast.Text); entering && c.inLink == 0 && !t.IsRaw() {
			c.texts = append(c.texts, t)
		}
		return ast.WalkContinue
	case ast.KindLink, ast.KindAutoLink, ast.KindImage, ast.KindCodeSpan:
		if !entering {
			c.inLink--
			return ast.WalkContinue
		}
		c.inLink++
		switch n := n.(type) {
		case *ast.Image:
			c.images = append(c.images, n)
		case *ast.AutoLink:
			// Linkify's e-mail and www. links (the latter carry a Protocol).
			if n.AutoLinkType == ast.AutoLinkEmail || n.Protocol != nil {
				c.autolinks = append(c.autolinks, n)
			}
		}
		return ast.WalkContinue
	case ast.KindRawHTML, ast.KindHTMLBlock:
		if entering && n.Kind() == ast.KindRawHTML {
			c.raws = append(c.raws, n)
		} else if entering {
			c.blocks = append(c.blocks, n)
		}
		return ast.WalkSkipChildren
	case ast.KindHeading:
		if entering {
			c.headings = append(c.headings, n)
		}
	case ast.KindBlockquote, ast.KindList, ast.KindEmphasis, extast.KindStrikethrough:
		if !entering {
			c.nesting--
			return ast.WalkContinue
		}
		if c.nesting++; c.nesting > maxNesting {
			c.tooDeep = append(c.tooDeep, n)
		}
	}
	if entering {
		mergeTexts(n, source)
	}
	return ast.WalkContinue
}

// autoLinkToText shows an autolinked e-mail address or www. name as plain text.
func autoLinkToText(n *ast.AutoLink, source []byte) {
	if parent := n.Parent(); parent != nil {
		parent.ReplaceChild(parent, n, ast.NewString(n.Label(source)))
	}
}

// maxNesting bounds how deeply quotes, lists and emphasis may nest. Deeper levels
// are flattened: a post has no use for them, and thousands of levels would strain
// readers' browsers (whose parsers stop nesting at 512 elements anyway).
const maxNesting = 16

// unwrap replaces n by its children.
func unwrap(n ast.Node) {
	parent := n.Parent()
	if parent == nil {
		return
	}
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		parent.InsertBefore(parent, n, c)
		c = next
	}
	parent.RemoveChild(parent, n)
}

// mergeTexts joins adjacent Text children that are contiguous in the source.
// goldmark splits text at every possible delimiter ("#foo_bar" arrives as "#foo_"
// and "bar"), and a tag or mention must be judged on the whole word.
func mergeTexts(n ast.Node, source []byte) {
	for c := n.FirstChild(); c != nil; {
		t, ok := c.(*ast.Text)
		next := c.NextSibling()
		if !ok || t.IsRaw() || t.SoftLineBreak() || t.HardLineBreak() {
			c = next
			continue
		}
		if nt, ok := next.(*ast.Text); ok && !nt.IsRaw() && t.Merge(nt, source) {
			n.RemoveChild(n, nt)
			continue // try to merge the following one into t as well
		}
		c = next
	}
}

// imageToLink makes ![alt](url) a link to url: posts carry images as attachments, and
// an <img> would load third-party content (and track readers) on display. An image
// already inside a link keeps only its alt text.
func imageToLink(img *ast.Image) {
	parent := img.Parent()
	if parent == nil {
		return
	}
	for p := parent; p != nil; p = p.Parent() {
		if p.Kind() == ast.KindLink || p.Kind() == ast.KindAutoLink {
			for c := img.FirstChild(); c != nil; {
				next := c.NextSibling()
				parent.InsertBefore(parent, img, c)
				c = next
			}
			parent.RemoveChild(parent, img)
			return
		}
	}
	link := ast.NewLink()
	link.Destination = img.Destination
	link.Title = img.Title
	if !img.HasChildren() {
		s := ast.NewString(img.Destination)
		s.SetRaw(true)
		link.AppendChild(link, s)
	}
	for c := img.FirstChild(); c != nil; {
		next := c.NextSibling()
		link.AppendChild(link, c)
		c = next
	}
	parent.ReplaceChild(parent, img, link)
}

// rawToText shows inline HTML as the literal text the author typed.
func rawToText(n *ast.RawHTML) {
	parent := n.Parent()
	if parent == nil {
		return
	}
	for i := 0; i < n.Segments.Len(); i++ {
		parent.InsertBefore(parent, n, ast.NewRawTextSegment(n.Segments.At(i)))
	}
	parent.RemoveChild(parent, n)
}

// htmlBlockToParagraph shows an HTML block as a paragraph of literal text, one line
// per source line.
func htmlBlockToParagraph(n *ast.HTMLBlock, source []byte) {
	parent := n.Parent()
	if parent == nil {
		return
	}
	p := ast.NewParagraph()
	add := func(seg text.Segment) {
		seg = seg.TrimRightSpace(source)
		if p.HasChildren() {
			// Raw text renders no line breaks; an empty ordinary Text that ends
			// in a soft break gives the <br> that WithHardWraps writes elsewhere.
			br := ast.NewTextSegment(text.NewSegment(seg.Start, seg.Start))
			br.SetSoftLineBreak(true)
			p.AppendChild(p, br)
		}
		p.AppendChild(p, ast.NewRawTextSegment(seg))
	}
	for i := 0; i < n.Lines().Len(); i++ {
		add(n.Lines().At(i))
	}
	if n.HasClosure() {
		add(n.ClosureLine)
	}
	parent.ReplaceChild(parent, n, p)
}

// headingToBold renders a heading as a bold paragraph: the policy has no h1-h6, and
// a post is too short for document structure.
func headingToBold(h *ast.Heading) {
	parent := h.Parent()
	if parent == nil {
		return
	}
	if !h.HasChildren() {
		parent.RemoveChild(parent, h)
		return
	}
	p := ast.NewParagraph()
	strong := ast.NewEmphasis(2)
	for c := h.FirstChild(); c != nil; {
		next := c.NextSibling()
		strong.AppendChild(strong, c)
		c = next
	}
	p.AppendChild(p, strong)
	parent.ReplaceChild(parent, h, p)
}
