!f64_r1 = memref<?xf64, strided<[?], offset: ?>>
!f64_r2 = memref<?x?xf64, strided<[?, ?], offset: ?>>
module {
  func.func private @optc_progress_1(i64, i64, f64) -> i32
  func.func @optc_sinkhorn(%a: !f64_r1, %b: !f64_r1, %C: !f64_r2, %eps: f64, %tol: f64, %max_iter: i64, %report: i1) -> (memref<?x?xf64>, memref<?xf64>, memref<?xf64>, i64, i1, memref<?xf64>, i32, i64, i64, i64, i64) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c0_i32 = arith.constant 0 : i32
    %c1_i32 = arith.constant 1 : i32
    %c2_i32 = arith.constant 2 : i32
    %c64 = arith.constant 64 : index
    %c0_i64 = arith.constant 0 : i64
    %false = arith.constant false
    %true = arith.constant true
    %cst_f64 = arith.constant 0.0 : f64
    %c1_i64 = arith.constant 1 : i64
    %c2 = arith.constant 2 : index
    %c3_i32 = arith.constant 3 : i32
    %c3 = arith.constant 3 : index
    %0 = memref.dim %a, %c0 : !f64_r1 loc("sinkhorn.opt":6:1)
    %1 = memref.dim %b, %c0 : !f64_r1 loc("sinkhorn.opt":6:1)
    %2 = memref.dim %C, %c0 : !f64_r2 loc("sinkhorn.opt":6:1)
    %3 = memref.dim %C, %c1 : !f64_r2 loc("sinkhorn.opt":6:1)
    %status = memref.alloca() : memref<i32> loc("sinkhorn.opt":6:1)
    memref.store %c0_i32, %status[] : memref<i32> loc("sinkhorn.opt":6:1)
    %details = memref.alloca() : memref<4xi64> loc("sinkhorn.opt":6:1)
    %4 = arith.index_cast %0 : index to i64 loc("sinkhorn.opt":9:18)
    %5 = arith.constant 1.0 : f64 loc("sinkhorn.opt":9:13)
    %6 = arith.index_cast %4 : i64 to index loc("sinkhorn.opt":9:13)
    %7 = arith.cmpi slt, %6, %c0 : index loc("sinkhorn.opt":9:13)
    %8 = arith.maxsi %6, %c0 : index loc("sinkhorn.opt":9:13)
    %9 = memref.load %status[] : memref<i32> loc("sinkhorn.opt":9:13)
    %10 = arith.cmpi eq, %9, %c0_i32 : i32 loc("sinkhorn.opt":9:13)
    %11 = arith.andi %7, %10 : i1 loc("sinkhorn.opt":9:13)
    %12 = arith.select %11, %c1_i32, %9 : i32 loc("sinkhorn.opt":9:13)
    memref.store %12, %status[] : memref<i32> loc("sinkhorn.opt":9:13)
    %13 = memref.load %details[%c0] : memref<4xi64> loc("sinkhorn.opt":9:13)
    %14 = arith.select %11, %4, %13 : i64 loc("sinkhorn.opt":9:13)
    memref.store %14, %details[%c0] : memref<4xi64> loc("sinkhorn.opt":9:13)
    %u = memref.alloc(%8) : memref<?xf64> loc("sinkhorn.opt":9:13)
    scf.for %i = %c0 to %8 step %c1 {
      memref.store %5, %u[%i] : memref<?xf64> loc("sinkhorn.opt":9:13)
    } loc("sinkhorn.opt":9:13)
    %15 = arith.index_cast %1 : index to i64 loc("sinkhorn.opt":10:18)
    %16 = arith.index_cast %15 : i64 to index loc("sinkhorn.opt":10:13)
    %17 = arith.cmpi slt, %16, %c0 : index loc("sinkhorn.opt":10:13)
    %18 = arith.maxsi %16, %c0 : index loc("sinkhorn.opt":10:13)
    %19 = memref.load %status[] : memref<i32> loc("sinkhorn.opt":10:13)
    %20 = arith.cmpi eq, %19, %c0_i32 : i32 loc("sinkhorn.opt":10:13)
    %21 = arith.andi %17, %20 : i1 loc("sinkhorn.opt":10:13)
    %22 = arith.select %21, %c2_i32, %19 : i32 loc("sinkhorn.opt":10:13)
    memref.store %22, %status[] : memref<i32> loc("sinkhorn.opt":10:13)
    %23 = memref.load %details[%c0] : memref<4xi64> loc("sinkhorn.opt":10:13)
    %24 = arith.select %21, %15, %23 : i64 loc("sinkhorn.opt":10:13)
    memref.store %24, %details[%c0] : memref<4xi64> loc("sinkhorn.opt":10:13)
    %v = memref.alloc(%18) : memref<?xf64> loc("sinkhorn.opt":10:13)
    scf.for %i_1 = %c0 to %18 step %c1 {
      memref.store %5, %v[%i_1] : memref<?xf64> loc("sinkhorn.opt":10:13)
    } loc("sinkhorn.opt":10:13)
    %25 = arith.constant 0 : i64 loc("sinkhorn.opt":12:12)
    %K = memref.alloc(%2, %3) : memref<?x?xf64> loc("sinkhorn.opt":8:11)
    scf.for %i_2 = %c0 to %2 step %c1 {
      scf.for %i_3 = %c0 to %3 step %c1 {
        %26 = memref.load %C[%i_2, %i_3] : !f64_r2 loc("sinkhorn.opt":8:11)
        %27 = arith.negf %26 : f64 loc("sinkhorn.opt":8:11)
        %28 = arith.divf %27, %eps : f64 loc("sinkhorn.opt":8:11)
        %29 = math.exp %28 : f64 loc("sinkhorn.opt":8:7)
        memref.store %29, %K[%i_2, %i_3] : memref<?x?xf64> loc("sinkhorn.opt":8:7)
      } loc("sinkhorn.opt":8:7)
    } loc("sinkhorn.opt":8:7)
    %30 = memref.cast %K : memref<?x?xf64> to !f64_r2 loc("sinkhorn.opt":14:15)
    %31 = memref.transpose %30 (d0, d1) -> (d1, d0) : !f64_r2 to !f64_r2 loc("sinkhorn.opt":14:15)
    %trace = memref.alloc(%c64) : memref<?xf64> loc("sinkhorn.opt":12:3)
    %32 = arith.subi %max_iter, %25 : i64 loc("sinkhorn.opt":12:3)
    %33 = arith.maxsi %32, %c0_i64 : i64 loc("sinkhorn.opt":12:3)
    %34:3 = scf.while (%35 = %25, %36 = %trace, %37 = %false) : (i64, memref<?xf64>, i1) -> (i64, memref<?xf64>, i1) {
      %38 = arith.cmpi slt, %35, %max_iter : i64 loc("sinkhorn.opt":12:3)
      %39 = arith.xori %37, %true : i1 loc("sinkhorn.opt":12:3)
      %40 = arith.andi %38, %39 : i1 loc("sinkhorn.opt":12:3)
      %41 = memref.load %status[] : memref<i32> loc("sinkhorn.opt":12:3)
      %42 = arith.cmpi eq, %41, %c0_i32 : i32 loc("sinkhorn.opt":12:3)
      %43 = arith.andi %40, %42 : i1 loc("sinkhorn.opt":12:3)
      scf.condition(%43) %35, %36, %37 : i64, memref<?xf64>, i1 loc("sinkhorn.opt":12:3)
    } do {
    ^bb0(%44: i64, %45: memref<?xf64>, %46: i1):
      %47 = memref.alloc(%2) : memref<?xf64> loc("sinkhorn.opt":13:15)
      scf.for %i_4 = %c0 to %2 step %c1 {
        %48 = scf.for %i_5 = %c0 to %3 step %c1 iter_args(%49 = %cst_f64) -> (f64) {
          %50 = memref.load %K[%i_4, %i_5] : memref<?x?xf64> loc("sinkhorn.opt":13:15)
          %51 = memref.load %v[%i_5] : memref<?xf64> loc("sinkhorn.opt":13:15)
          %52 = arith.mulf %50, %51 : f64 loc("sinkhorn.opt":13:15)
          %53 = arith.addf %49, %52 : f64 loc("sinkhorn.opt":13:15)
          scf.yield %53 : f64 loc("sinkhorn.opt":13:15)
        } loc("sinkhorn.opt":13:15)
        memref.store %48, %47[%i_4] : memref<?xf64> loc("sinkhorn.opt":13:15)
      } loc("sinkhorn.opt":13:15)
      %u_next = memref.alloc(%0) : memref<?xf64> loc("sinkhorn.opt":13:10)
      scf.for %i_6 = %c0 to %0 step %c1 {
        %54 = memref.load %a[%i_6] : !f64_r1 loc("sinkhorn.opt":13:10)
        %55 = memref.load %47[%i_6] : memref<?xf64> loc("sinkhorn.opt":13:10)
        %56 = arith.divf %54, %55 : f64 loc("sinkhorn.opt":13:10)
        memref.store %56, %u_next[%i_6] : memref<?xf64> loc("sinkhorn.opt":13:10)
      } loc("sinkhorn.opt":13:10)
      %57 = memref.alloc(%3) : memref<?xf64> loc("sinkhorn.opt":14:15)
      scf.for %i_7 = %c0 to %3 step %c1 {
        %58 = scf.for %i_8 = %c0 to %2 step %c1 iter_args(%59 = %cst_f64) -> (f64) {
          %60 = memref.load %31[%i_7, %i_8] : !f64_r2 loc("sinkhorn.opt":14:15)
          %61 = memref.load %u_next[%i_8] : memref<?xf64> loc("sinkhorn.opt":14:15)
          %62 = arith.mulf %60, %61 : f64 loc("sinkhorn.opt":14:15)
          %63 = arith.addf %59, %62 : f64 loc("sinkhorn.opt":14:15)
          scf.yield %63 : f64 loc("sinkhorn.opt":14:15)
        } loc("sinkhorn.opt":14:15)
        memref.store %58, %57[%i_7] : memref<?xf64> loc("sinkhorn.opt":14:15)
      } loc("sinkhorn.opt":14:15)
      %v_next = memref.alloc(%1) : memref<?xf64> loc("sinkhorn.opt":14:10)
      scf.for %i_9 = %c0 to %1 step %c1 {
        %64 = memref.load %b[%i_9] : !f64_r1 loc("sinkhorn.opt":14:10)
        %65 = memref.load %57[%i_9] : memref<?xf64> loc("sinkhorn.opt":14:10)
        %66 = arith.divf %64, %65 : f64 loc("sinkhorn.opt":14:10)
        memref.store %66, %v_next[%i_9] : memref<?xf64> loc("sinkhorn.opt":14:10)
      } loc("sinkhorn.opt":14:10)
      %67 = memref.alloc(%2) : memref<?xf64> loc("sinkhorn.opt":12:42)
      scf.for %i_10 = %c0 to %2 step %c1 {
        %68 = scf.for %i_11 = %c0 to %3 step %c1 iter_args(%69 = %cst_f64) -> (f64) {
          %70 = memref.load %K[%i_10, %i_11] : memref<?x?xf64> loc("sinkhorn.opt":12:42)
          %71 = memref.load %v_next[%i_11] : memref<?xf64> loc("sinkhorn.opt":12:42)
          %72 = arith.mulf %70, %71 : f64 loc("sinkhorn.opt":12:42)
          %73 = arith.addf %69, %72 : f64 loc("sinkhorn.opt":12:42)
          scf.yield %73 : f64 loc("sinkhorn.opt":12:42)
        } loc("sinkhorn.opt":12:42)
        memref.store %68, %67[%i_10] : memref<?xf64> loc("sinkhorn.opt":12:42)
      } loc("sinkhorn.opt":12:42)
      %74 = memref.alloc(%0) : memref<?xf64> loc("sinkhorn.opt":12:36)
      scf.for %i_12 = %c0 to %0 step %c1 {
        %75 = memref.load %u_next[%i_12] : memref<?xf64> loc("sinkhorn.opt":12:36)
        %76 = memref.load %67[%i_12] : memref<?xf64> loc("sinkhorn.opt":12:36)
        %77 = arith.mulf %75, %76 : f64 loc("sinkhorn.opt":12:36)
        %78 = memref.load %a[%i_12] : !f64_r1 loc("sinkhorn.opt":12:36)
        %79 = arith.subf %77, %78 : f64 loc("sinkhorn.opt":12:36)
        %80 = math.absf %79 : f64 loc("sinkhorn.opt":12:30)
        memref.store %80, %74[%i_12] : memref<?xf64> loc("sinkhorn.opt":12:30)
      } loc("sinkhorn.opt":12:30)
      %81 = scf.for %i_13 = %c0 to %0 step %c1 iter_args(%82 = %cst_f64) -> (f64) {
        %83 = memref.load %74[%i_13] : memref<?xf64> loc("sinkhorn.opt":12:30)
        %84 = arith.addf %82, %83 : f64 loc("sinkhorn.opt":12:30)
        scf.yield %84 : f64 loc("sinkhorn.opt":12:30)
      } loc("sinkhorn.opt":12:30)
      %85 = arith.cmpf ole, %81, %tol : f64 loc("sinkhorn.opt":12:30)
      scf.for %i_14 = %c0 to %8 step %c1 {
        %86 = memref.load %u_next[%i_14] : memref<?xf64> loc("sinkhorn.opt":12:3)
        memref.store %86, %u[%i_14] : memref<?xf64> loc("sinkhorn.opt":12:3)
      } loc("sinkhorn.opt":12:3)
      scf.for %i_15 = %c0 to %18 step %c1 {
        %87 = memref.load %v_next[%i_15] : memref<?xf64> loc("sinkhorn.opt":12:3)
        memref.store %87, %v[%i_15] : memref<?xf64> loc("sinkhorn.opt":12:3)
      } loc("sinkhorn.opt":12:3)
      %88 = arith.subi %44, %25 : i64 loc("sinkhorn.opt":12:3)
      %89 = arith.addi %88, %c1_i64 : i64 loc("sinkhorn.opt":12:3)
      %90 = arith.index_cast %89 : i64 to index loc("sinkhorn.opt":12:3)
      %91 = memref.dim %45, %c0 : memref<?xf64> loc("sinkhorn.opt":12:3)
      %92 = arith.cmpi sgt, %90, %91 : index loc("sinkhorn.opt":12:3)
      %93 = scf.if %92 -> (memref<?xf64>) {
        %94 = arith.muli %91, %c2 : index loc("sinkhorn.opt":12:3)
        %95 = memref.alloc(%94) : memref<?xf64> loc("sinkhorn.opt":12:3)
        scf.for %i_16 = %c0 to %91 step %c1 {
          %96 = memref.load %45[%i_16] : memref<?xf64> loc("sinkhorn.opt":12:3)
          memref.store %96, %95[%i_16] : memref<?xf64> loc("sinkhorn.opt":12:3)
        } loc("sinkhorn.opt":12:3)
        memref.dealloc %45 : memref<?xf64> loc("sinkhorn.opt":12:3)
        scf.yield %95 : memref<?xf64> loc("sinkhorn.opt":12:3)
      } else {
        scf.yield %45 : memref<?xf64> loc("sinkhorn.opt":12:3)
      } loc("sinkhorn.opt":12:3)
      %97 = arith.subi %90, %c1 : index loc("sinkhorn.opt":12:3)
      memref.store %81, %93[%97] : memref<?xf64> loc("sinkhorn.opt":12:3)
      scf.if %report {
        %98 = func.call @optc_progress_1(%89, %33, %81) : (i64, i64, f64) -> i32 loc("sinkhorn.opt":12:3)
        %99 = arith.cmpi ne, %98, %c0_i32 : i32 loc("sinkhorn.opt":12:3)
        %100 = memref.load %status[] : memref<i32> loc("sinkhorn.opt":12:3)
        %101 = arith.cmpi eq, %100, %c0_i32 : i32 loc("sinkhorn.opt":12:3)
        %102 = arith.andi %99, %101 : i1 loc("sinkhorn.opt":12:3)
        %103 = arith.select %102, %c3_i32, %100 : i32 loc("sinkhorn.opt":12:3)
        memref.store %103, %status[] : memref<i32> loc("sinkhorn.opt":12:3)
      } loc("sinkhorn.opt":12:3)
      memref.dealloc %47 : memref<?xf64> loc("sinkhorn.opt":12:3)
      memref.dealloc %u_next : memref<?xf64> loc("sinkhorn.opt":12:3)
      memref.dealloc %57 : memref<?xf64> loc("sinkhorn.opt":12:3)
      memref.dealloc %v_next : memref<?xf64> loc("sinkhorn.opt":12:3)
      memref.dealloc %67 : memref<?xf64> loc("sinkhorn.opt":12:3)
      memref.dealloc %74 : memref<?xf64> loc("sinkhorn.opt":12:3)
      %104 = arith.addi %44, %c1_i64 : i64 loc("sinkhorn.opt":12:3)
      scf.yield %104, %93, %85 : i64, memref<?xf64>, i1 loc("sinkhorn.opt":12:3)
    } loc("sinkhorn.opt":12:3)
    %105 = arith.subi %34#0, %25 : i64 loc("sinkhorn.opt":12:3)
    %106 = arith.index_cast %105 : i64 to index loc("sinkhorn.opt":12:3)
    %107 = memref.dim %34#1, %c0 : memref<?xf64> loc("sinkhorn.opt":12:3)
    %108 = memref.cast %34#1 : memref<?xf64> to !f64_r1 loc("sinkhorn.opt":12:3)
    %109 = memref.subview %108[0] [%106] [1] : !f64_r1 to !f64_r1 loc("sinkhorn.opt":12:3)
    %110 = memref.alloc(%8, %18) : memref<?x?xf64> loc("sinkhorn.opt":16:17)
    scf.for %i_17 = %c0 to %8 step %c1 {
      scf.for %i_18 = %c0 to %18 step %c1 {
        %111 = memref.load %u[%i_17] : memref<?xf64> loc("sinkhorn.opt":16:17)
        %112 = memref.load %v[%i_18] : memref<?xf64> loc("sinkhorn.opt":16:17)
        %113 = arith.mulf %111, %112 : f64 loc("sinkhorn.opt":16:17)
        memref.store %113, %110[%i_17, %i_18] : memref<?x?xf64> loc("sinkhorn.opt":16:17)
      } loc("sinkhorn.opt":16:17)
    } loc("sinkhorn.opt":16:17)
    %plan = memref.alloc(%8, %18) : memref<?x?xf64> loc("sinkhorn.opt":16:17)
    scf.for %i_19 = %c0 to %8 step %c1 {
      scf.for %i_20 = %c0 to %18 step %c1 {
        %114 = memref.load %110[%i_19, %i_20] : memref<?x?xf64> loc("sinkhorn.opt":16:17)
        %115 = memref.load %K[%i_19, %i_20] : memref<?x?xf64> loc("sinkhorn.opt":16:17)
        %116 = arith.mulf %114, %115 : f64 loc("sinkhorn.opt":16:17)
        memref.store %116, %plan[%i_19, %i_20] : memref<?x?xf64> loc("sinkhorn.opt":16:17)
      } loc("sinkhorn.opt":16:17)
    } loc("sinkhorn.opt":16:17)
    %117 = memref.alloc(%106) : memref<?xf64> loc("sinkhorn.opt":6:1)
    scf.for %i_21 = %c0 to %106 step %c1 {
      %118 = memref.load %109[%i_21] : !f64_r1 loc("sinkhorn.opt":6:1)
      memref.store %118, %117[%i_21] : memref<?xf64> loc("sinkhorn.opt":6:1)
    } loc("sinkhorn.opt":6:1)
    %119 = memref.load %status[] : memref<i32> loc("sinkhorn.opt":6:1)
    %120 = memref.load %details[%c0] : memref<4xi64> loc("sinkhorn.opt":6:1)
    %121 = memref.load %details[%c1] : memref<4xi64> loc("sinkhorn.opt":6:1)
    %122 = memref.load %details[%c2] : memref<4xi64> loc("sinkhorn.opt":6:1)
    %123 = memref.load %details[%c3] : memref<4xi64> loc("sinkhorn.opt":6:1)
    memref.dealloc %K : memref<?x?xf64> loc("sinkhorn.opt":6:1)
    memref.dealloc %34#1 : memref<?xf64> loc("sinkhorn.opt":6:1)
    memref.dealloc %110 : memref<?x?xf64> loc("sinkhorn.opt":6:1)
    return %plan, %u, %v, %105, %34#2, %117, %119, %120, %121, %122, %123 : memref<?x?xf64>, memref<?xf64>, memref<?xf64>, i64, i1, memref<?xf64>, i32, i64, i64, i64, i64 loc("sinkhorn.opt":6:1)
  } loc("sinkhorn.opt":6:1)
}
