//! Subscriptions on the subscriber side (SUB, XSUB): a byte trie of topic
//! prefixes with a reference count each (libzmq's `trie`), and the message
//! form in which subscriptions travel upstream (RFC 29).
//!
//! [`Trie`] answers the one question a subscriber asks of every message it
//! receives: is some subscription a prefix of it? The answer walks the
//! message's first bytes once, whatever the number of subscriptions.
//!
//! ```text
//!   subscribe "A", "AB", "AB" (twice), "C"          root (0)
//!                                                  /        \
//!   check "ABX": root, A(1) → match                A (1)     C (1)
//!   check "B":   root has no child B → no match    |
//!                                                  B (2)
//! ```
//!
//! The nodes live in one arena ([`Tree`]), shared with the publisher-side
//! [`Mtrie`](super::mtrie::Mtrie): children are indices, not boxes, so no
//! walk, drop or prune recurses. Topics come from peers and may be long;
//! recursion depth proportional to a topic would let a peer overflow the
//! stack.

use crate::msg::Message;

/// Index of a node in the arena.
type NodeId = u32;
/// Marks an absent child.
const NONE: NodeId = NodeId::MAX;
/// The root (the empty prefix) is always node 0.
const ROOT: NodeId = 0;

/// What a trie keeps per prefix. A node whose value is empty and that has
/// no children is pruned.
pub(super) trait NodeValue: Default {
    /// Whether this prefix holds nothing (and its node may go).
    fn is_empty(&self) -> bool;
}

/// A reference count: the subscriber side counts how many times each prefix
/// was subscribed.
impl NodeValue for u64 {
    fn is_empty(&self) -> bool {
        *self == 0
    }
}

/// One node: the value for its prefix and a dense child table for the bytes
/// `min .. min + children.len()` (libzmq's layout: most nodes have one child
/// or a few neighbouring ones, so a table beats a map on lookup).
#[derive(Debug)]
struct Node<V> {
    value: V,
    /// Parent node (`NONE` for the root and for free slots).
    parent: NodeId,
    /// The byte on the edge from the parent.
    byte: u8,
    /// The byte of `children[0]`.
    min: u8,
    children: Vec<NodeId>,
    /// How many entries of `children` are not `NONE`.
    live: u32,
}

impl<V: NodeValue> Node<V> {
    fn new(parent: NodeId, byte: u8) -> Self {
        Node {
            value: V::default(),
            parent,
            byte,
            min: 0,
            children: Vec::new(),
            live: 0,
        }
    }

    #[inline]
    fn child(&self, byte: u8) -> NodeId {
        match byte.checked_sub(self.min) {
            Some(offset) => self.children.get(offset as usize).copied().unwrap_or(NONE),
            None => NONE,
        }
    }

    fn set_child(&mut self, byte: u8, child: NodeId) {
        if self.children.is_empty() {
            self.min = byte;
            self.children.push(child);
        } else if byte < self.min {
            // Grow the table downwards: prepend the gap.
            let gap = (self.min - byte) as usize;
            self.children
                .splice(0..0, std::iter::repeat(NONE).take(gap));
            self.min = byte;
            self.children[0] = child;
        } else {
            let offset = (byte - self.min) as usize;
            if offset >= self.children.len() {
                self.children.resize(offset + 1, NONE);
            }
            self.children[offset] = child;
        }
        self.live += 1;
    }

    fn remove_child(&mut self, byte: u8) {
        let offset = (byte - self.min) as usize;
        self.children[offset] = NONE;
        self.live -= 1;
        if self.live == 0 {
            // Give the memory back: most nodes are leaves most of the time.
            self.children = Vec::new();
            self.min = 0;
            return;
        }
        // Trim the ends so the table spans only live children.
        let leading = self.children.iter().take_while(|&&c| c == NONE).count();
        if leading > 0 {
            self.children.drain(..leading);
            self.min += leading as u8;
        }
        while self.children.last() == Some(&NONE) {
            self.children.pop();
        }
    }

    fn is_prunable(&self) -> bool {
        self.live == 0 && self.value.is_empty()
    }
}

/// A byte trie in an arena, with a value per prefix; the common part of
/// [`Trie`] and [`Mtrie`](super::mtrie::Mtrie).
#[derive(Debug)]
pub(super) struct Tree<V> {
    /// Node 0 is the root; freed slots are listed in `free` and reused.
    nodes: Vec<Node<V>>,
    free: Vec<NodeId>,
}

impl<V: NodeValue> Default for Tree<V> {
    fn default() -> Self {
        Tree {
            nodes: vec![Node::new(NONE, 0)],
            free: Vec::new(),
        }
    }
}

impl<V: NodeValue> Tree<V> {
    /// The value for exactly `key`, if its node exists.
    pub(super) fn get_mut(&mut self, key: &[u8]) -> Option<(NodeId, &mut V)> {
        let mut node = ROOT;
        for &byte in key {
            node = self.nodes[node as usize].child(byte);
            if node == NONE {
                return None;
            }
        }
        Some((node, &mut self.nodes[node as usize].value))
    }

    /// The value for exactly `key`, creating the nodes on the way.
    pub(super) fn get_or_insert(&mut self, key: &[u8]) -> (NodeId, &mut V) {
        let mut node = ROOT;
        for &byte in key {
            let child = self.nodes[node as usize].child(byte);
            node = if child == NONE {
                let child = self.alloc(node, byte);
                self.nodes[node as usize].set_child(byte, child);
                child
            } else {
                child
            };
        }
        (node, &mut self.nodes[node as usize].value)
    }

    fn alloc(&mut self, parent: NodeId, byte: u8) -> NodeId {
        if let Some(id) = self.free.pop() {
            self.nodes[id as usize] = Node::new(parent, byte);
            return id;
        }
        // A u32 index runs out after 4 billion nodes, which is over 100 GiB
        // of nodes: memory runs out long before.
        let id = self.nodes.len() as NodeId;
        self.nodes.push(Node::new(parent, byte));
        id
    }

    /// Removes `node` and then its ancestors, as long as each holds nothing.
    pub(super) fn prune(&mut self, mut node: NodeId) {
        while node != ROOT && self.nodes[node as usize].is_prunable() {
            let Node { parent, byte, .. } = self.nodes[node as usize];
            self.nodes[parent as usize].remove_child(byte);
            self.nodes[node as usize] = Node::new(NONE, 0);
            self.free.push(node);
            node = parent;
        }
    }

    /// Calls `f` with the value of every prefix of `data` that has a node,
    /// shortest first (the root, for the empty prefix, included), until `f`
    /// returns false.
    #[inline]
    pub(super) fn walk_prefixes(&self, data: &[u8], mut f: impl FnMut(&V) -> bool) {
        let mut node = &self.nodes[ROOT as usize];
        if !f(&node.value) {
            return;
        }
        for &byte in data {
            let child = node.child(byte);
            if child == NONE {
                return;
            }
            node = &self.nodes[child as usize];
            if !f(&node.value) {
                return;
            }
        }
    }

    /// Every node in pre-order (each parent before its children, children
    /// in byte order), with its depth.
    fn preorder(&self) -> Vec<(NodeId, usize)> {
        let mut order = Vec::with_capacity(self.nodes.len() - self.free.len());
        let mut stack = vec![(ROOT, 0usize)];
        while let Some((node, depth)) = stack.pop() {
            order.push((node, depth));
            // Pushed in reverse so the smallest byte is visited first.
            for &child in self.nodes[node as usize].children.iter().rev() {
                if child != NONE {
                    stack.push((child, depth + 1));
                }
            }
        }
        order
    }

    /// Calls `f` with every prefix and its value, in byte order, nodes
    /// whose value is empty included.
    pub(super) fn for_each(&self, mut f: impl FnMut(&[u8], &V)) {
        let mut key = Vec::new();
        for (node, depth) in self.preorder() {
            let node = &self.nodes[node as usize];
            if depth > 0 {
                key.truncate(depth - 1);
                key.push(node.byte);
            }
            f(&key, &node.value);
        }
    }

    /// Calls `f` with every prefix and a mutable reference to its value, in
    /// byte order, then prunes the nodes left holding nothing.
    pub(super) fn for_each_mut(&mut self, mut f: impl FnMut(&[u8], &mut V)) {
        let order = self.preorder();
        let mut key = Vec::new();
        for &(node, depth) in &order {
            let node = &mut self.nodes[node as usize];
            if depth > 0 {
                key.truncate(depth - 1);
                key.push(node.byte);
            }
            f(&key, &mut node.value);
        }
        // In reverse pre-order every child comes before its parent, so a
        // parent's `live` count is final when its turn comes.
        for &(node, _) in order.iter().rev() {
            if node != ROOT && self.nodes[node as usize].is_prunable() {
                let Node { parent, byte, .. } = self.nodes[node as usize];
                self.nodes[parent as usize].remove_child(byte);
                self.nodes[node as usize] = Node::new(NONE, 0);
                self.free.push(node);
            }
        }
    }

    /// Number of nodes in use, the root included (for tests).
    #[cfg(test)]
    pub(super) fn node_count(&self) -> usize {
        self.nodes.len() - self.free.len()
    }
}

/// The subscriber's subscriptions: each prefix with how many times it was
/// subscribed and not yet unsubscribed.
#[derive(Debug, Default)]
pub(crate) struct Trie {
    tree: Tree<u64>,
}

impl Trie {
    /// Adds one reference to `prefix`. True when the prefix is new.
    pub(crate) fn add(&mut self, prefix: &[u8]) -> bool {
        let (_, count) = self.tree.get_or_insert(prefix);
        *count += 1;
        *count == 1
    }

    /// Drops one reference to `prefix`. True when that was the last one
    /// (the prefix is gone); false also when it was not subscribed.
    pub(crate) fn rm(&mut self, prefix: &[u8]) -> bool {
        let Some((node, count)) = self.tree.get_mut(prefix) else {
            return false;
        };
        if *count == 0 {
            return false;
        }
        *count -= 1;
        if *count > 0 {
            return false;
        }
        self.tree.prune(node);
        true
    }

    /// Whether some subscription is a prefix of `data` (the empty
    /// subscription matches everything).
    #[inline]
    pub(crate) fn check(&self, data: &[u8]) -> bool {
        let mut found = false;
        self.tree.walk_prefixes(data, |&count| {
            found = count > 0;
            !found
        });
        found
    }

    /// Calls `f` once with every subscribed prefix, in byte order.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&[u8])) {
        self.tree.for_each(|prefix, &count| {
            if count > 0 {
                f(prefix);
            }
        });
    }
}

/// A subscription message, as RFC 29 puts it on the wire: one frame, `0x01`
/// then the topic to subscribe, or `0x00` then the topic to unsubscribe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subscription<'a> {
    /// `\x01topic`
    Subscribe(&'a [u8]),
    /// `\x00topic`
    Unsubscribe(&'a [u8]),
}

impl<'a> Subscription<'a> {
    /// Reads a whole single-frame message as a subscription. Anything else
    /// (the frame of a multipart message, an empty frame, another first
    /// byte) is not one: it is data.
    pub(crate) fn parse(msg: &'a Message) -> Option<Self> {
        if msg.get_more() {
            return None;
        }
        match msg.split_first() {
            Some((1, topic)) => Some(Subscription::Subscribe(topic)),
            Some((0, topic)) => Some(Subscription::Unsubscribe(topic)),
            _ => None,
        }
    }

    /// The message that carries this subscription.
    pub(crate) fn to_message(self) -> Message {
        let (flag, topic) = match self {
            Subscription::Subscribe(topic) => (1u8, topic),
            Subscription::Unsubscribe(topic) => (0u8, topic),
        };
        let mut body = Vec::with_capacity(topic.len() + 1);
        body.push(flag);
        body.extend_from_slice(topic);
        Message::from(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_matches_everything_it_starts() {
        let mut trie = Trie::default();
        assert!(trie.add(b"AB"));
        assert!(trie.check(b"AB"));
        assert!(trie.check(b"ABC"));
        assert!(!trie.check(b"A"), "shorter than the prefix");
        assert!(!trie.check(b"AC"));
        assert!(!trie.check(b""));
    }

    #[test]
    fn the_empty_subscription_matches_all() {
        let mut trie = Trie::default();
        assert!(!trie.check(b"anything"), "no subscription, nothing matches");
        assert!(trie.add(b""));
        assert!(trie.check(b"anything"));
        assert!(trie.check(b""));
        assert!(trie.rm(b""));
        assert!(!trie.check(b"anything"));
    }

    #[test]
    fn subscriptions_are_counted() {
        let mut trie = Trie::default();
        assert!(trie.add(b"topic"));
        assert!(!trie.add(b"topic"), "second reference, not new");
        assert!(!trie.rm(b"topic"), "one reference left");
        assert!(trie.check(b"topic/1"));
        assert!(trie.rm(b"topic"), "the last reference");
        assert!(!trie.check(b"topic/1"));
        assert!(!trie.rm(b"topic"), "no longer subscribed");
        assert!(!trie.rm(b"top"), "an inner node is not a subscription");
    }

    #[test]
    fn removing_prunes_nodes_but_keeps_the_rest() {
        let mut trie = Trie::default();
        trie.add(b"abc");
        trie.add(b"abd");
        trie.add(b"a");
        assert_eq!(trie.tree.node_count(), 5);
        assert!(trie.rm(b"abc"));
        assert_eq!(trie.tree.node_count(), 4, "only the c leaf goes");
        assert!(trie.check(b"abd"));
        assert!(trie.rm(b"abd"));
        assert_eq!(trie.tree.node_count(), 2, "b goes with its last child");
        assert!(trie.check(b"a-anything"));
        assert!(trie.rm(b"a"));
        assert_eq!(trie.tree.node_count(), 1, "only the root is left");
    }

    #[test]
    fn children_spread_over_the_byte_range() {
        let mut trie = Trie::default();
        for byte in [128u8, 3, 255, 0, 64] {
            assert!(trie.add(&[byte, byte]));
        }
        for byte in [128u8, 3, 255, 0, 64] {
            assert!(trie.check(&[byte, byte, 7]));
            assert!(!trie.check(&[byte, byte.wrapping_add(1)]));
        }
        assert!(trie.rm(&[0, 0]));
        assert!(trie.rm(&[255, 255]));
        assert!(trie.check(&[3, 3]));
        assert!(trie.check(&[128, 128]));
        assert!(!trie.check(&[0, 0]));
    }

    #[test]
    fn for_each_lists_subscriptions_in_byte_order() {
        let mut trie = Trie::default();
        for topic in ["b", "ab", "a", "ab", ""] {
            trie.add(topic.as_bytes());
        }
        let mut seen = Vec::new();
        trie.for_each(|prefix| seen.push(String::from_utf8(prefix.to_vec()).unwrap()));
        assert_eq!(seen, ["", "a", "ab", "b"], "each prefix once");
    }

    #[test]
    fn a_very_long_topic_does_not_recurse() {
        let mut trie = Trie::default();
        let topic = vec![b'x'; 1 << 20];
        assert!(trie.add(&topic));
        assert!(trie.check(&topic));
        let mut count = 0;
        trie.for_each(|_| count += 1);
        assert_eq!(count, 1);
        assert!(trie.rm(&topic));
        assert_eq!(trie.tree.node_count(), 1);
    }

    #[test]
    fn subscription_messages_round_trip() {
        let msg = Subscription::Subscribe(b"news").to_message();
        assert_eq!(&msg[..], b"\x01news");
        assert_eq!(
            Subscription::parse(&msg),
            Some(Subscription::Subscribe(b"news"))
        );
        let msg = Subscription::Unsubscribe(b"").to_message();
        assert_eq!(&msg[..], b"\x00");
        assert_eq!(
            Subscription::parse(&msg),
            Some(Subscription::Unsubscribe(b""))
        );
        assert_eq!(Subscription::parse(&Message::from(&b"\x02x"[..])), None);
        assert_eq!(Subscription::parse(&Message::from(&b""[..])), None);
        let mut first_of_two = Message::from(&b"\x01x"[..]);
        first_of_two.set_more(true);
        assert_eq!(
            Subscription::parse(&first_of_two),
            None,
            "a multipart message is data"
        );
    }
}
