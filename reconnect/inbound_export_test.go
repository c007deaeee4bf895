package reconnect

// DirectReads returns how many Reads that may take the reader role wait.
func (c *Conn) DirectReads() int {
	c.in.mu.Lock()
	defer c.in.mu.Unlock()
	return c.in.direct
}

// WaitingReads returns how many Reads wait for a message.
func (c *Conn) WaitingReads() int {
	c.in.mu.Lock()
	defer c.in.mu.Unlock()
	return c.in.readers
}

// ReadingItself reports whether a Read holds the reader role and reads.
func (c *Conn) ReadingItself() bool {
	c.in.mu.Lock()
	defer c.in.mu.Unlock()
	return c.in.role == roleRead
}
