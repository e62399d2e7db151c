//go:build unix

package box

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// copyData copies the contents of in to the new, empty file out, keeping
// in's holes as holes: only the ranges SEEK_DATA finds are written, so a
// sparse file a user planted in a home does not fill the pool when root
// copies it (a 1 TiB file of one block stays one block). Where the
// filesystem cannot say where its data is, everything is copied.
func copyData(out, in *os.File) error {
	end, err := in.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	for off := int64(0); off < end; {
		data, err := unix.Seek(int(in.Fd()), off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			break // only a hole is left
		}
		if errors.Is(err, unix.EINVAL) && off == 0 {
			return copyAll(out, in)
		}
		if err != nil {
			return err
		}
		hole, err := unix.Seek(int(in.Fd()), data, unix.SEEK_HOLE)
		if err != nil {
			return err
		}
		if hole > end {
			hole = end
		}
		if _, err := io.Copy(io.NewOffsetWriter(out, data), io.NewSectionReader(in, data, hole-data)); err != nil {
			return err
		}
		off = hole
	}
	// A hole at the end is a length, not data.
	return out.Truncate(end)
}

// copyAll copies all of in to out, from the start.
func copyAll(out, in *os.File) error {
	if _, err := in.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(out, in)
	return err
}
